/**
 * Every sockit command, in the order `sockit --help` lists them. A new
 * command is one file in this directory exporting a CommandSpec, plus one line here.
 */
import type { CommandSpec } from "../command.js";
import { tour } from "./tour.js";
import { resolve } from "./resolve.js";

export const commands: readonly CommandSpec[] = [tour, resolve];
