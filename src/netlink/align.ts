/**
 * Netlink alignment, after the kernel's macros (include/uapi/linux/netlink.h).
 * The alignment unit and header lengths come from the headers at build time
 * (NLMSG_ALIGNTO, NLMSG_HDRLEN, NLA_ALIGNTO, NLA_HDRLEN); nothing is hard-coded.
 * Pure: no I/O.
 */
import { NLA, NLMSG, STRUCTS } from "../constants.js";

/** NLMSG_ALIGNTO: every netlink message starts on a multiple of this (4). */
export const NLMSG_ALIGNTO = NLMSG.ALIGNTO;
/** NLMSG_HDRLEN: `((int) NLMSG_ALIGN(sizeof(struct nlmsghdr)))`. */
export const NLMSG_HDRLEN = NLMSG.HDRLEN;
/** NLA_ALIGNTO: every attribute starts on a multiple of this (4). */
export const NLA_ALIGNTO = NLA.ALIGNTO;
/** NLA_HDRLEN: `((int) NLA_ALIGN(sizeof(struct nlattr)))`. */
export const NLA_HDRLEN = NLA.HDRLEN;
/** sizeof(struct nlmsgerr): the errno and the echoed request header. */
export const NLMSGERR_SIZE = STRUCTS.nlmsgerr!.size;

/**
 * Rounds `len` up to the message alignment.
 * `#define NLMSG_ALIGN(len) ( ((len)+NLMSG_ALIGNTO-1) & ~(NLMSG_ALIGNTO-1) )`
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export function nlmsgAlign(len: number): number {
  return Math.ceil(len / NLMSG_ALIGNTO) * NLMSG_ALIGNTO;
}

/**
 * The total length of a message with `len` bytes of payload.
 * `#define NLMSG_LENGTH(len) ((len) + NLMSG_HDRLEN)`
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export function nlmsgLength(len: number): number {
  return len + NLMSG_HDRLEN;
}

/**
 * Rounds `len` up to the attribute alignment.
 * `#define NLA_ALIGN(len) (((len) + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1))`
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export function nlaAlign(len: number): number {
  return Math.ceil(len / NLA_ALIGNTO) * NLA_ALIGNTO;
}
