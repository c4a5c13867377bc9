/**
 * Every sockit command, in the order `sockit --help` lists them. A new
 * command is one file in this directory exporting a CommandSpec, plus one line here.
 */
import type { CommandSpec } from "../command.js";
import { tour } from "./tour.js";
import { relay } from "./relay.js";
import { connect } from "./connect.js";
import { listen } from "./listen.js";
import { send } from "./send.js";
import { recv } from "./recv.js";
import { resolve } from "./resolve.js";
import { pingCommand } from "./ping.js";
import { traceCommand } from "./trace.js";
import { captureCommand } from "./capture.js";
import { ss } from "./ss.js";
import { ip } from "./ip.js";
import { monitor } from "./monitor.js";

export const commands: readonly CommandSpec[] = [
  tour,
  relay,
  connect,
  listen,
  send,
  recv,
  resolve,
  pingCommand,
  traceCommand,
  captureCommand,
  ss,
  ip,
  monitor,
];
