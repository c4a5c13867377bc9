/**
 * The tables the addon read from the system headers when it was built:
 * constant groups (AF, SOCK, SO …), struct sizes and offsets, and the
 * control-message layout. src/constants.ts and src/control.ts give them
 * their public, typed shape.
 */
import { native } from "./native.js";

/** The constant groups the addon read from the system headers (AF, SOCK, SO …), by group name. */
export const HEADER_CONSTANTS: Readonly<Record<string, Record<string, number>>> = native.constants;
/** Struct sizes and field offsets from the system headers (sockaddr_storage, tpacket_req3 …). */
export const HEADER_STRUCTS: Readonly<Record<string, Record<string, number> & { size: number }>> = native.structs;
/** The control-message layout facts of this platform (CMSG_ALIGN, header size, SCM_* numbers). */
export const MSG_HEADER_FACTS: Readonly<Record<string, number | number[] | undefined>> = native.msgFacts;
