/**
 * The netlink codec on fixed inputs: alignment after the kernel macros,
 * attributes (integers, strings, nesting, byte order, sticky errors), message
 * framing, acks with extended-ack TLVs, and the rtnetlink/sock_diag/uevent
 * decoders on hand-built messages.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AF, IFA, IFLA, NLA, NLM_F, NLMSG, NLMSGERR_ATTR, RTA, RTM, STRUCTS, TCP_STATE } from "../../src/constants.js";
import {
  AttributeDecoder,
  AttributeEncoder,
  NLA_HDRLEN,
  NLMSG_HDRLEN,
  NetlinkError,
  NetlinkMessageError,
  ackError,
  decodeAddress,
  decodeLink,
  decodeRoute,
  decodeRouteEvent,
  encodeMessage,
  linkFlagNames,
  nlaAlign,
  nlmsgAlign,
  parseAck,
  parseAttributes,
  parseDone,
  parseMessages,
  parseUevent,
  stateName,
} from "../../src/netlink/index.js";

describe("alignment", () => {
  test("NLMSG_ALIGN and NLA_ALIGN round up to 4 as the kernel macros do", () => {
    assert.deepEqual([0, 1, 3, 4, 5, 8].map(nlmsgAlign), [0, 4, 4, 4, 8, 8]);
    assert.deepEqual([0, 1, 4, 6].map(nlaAlign), [0, 4, 4, 8]);
    assert.equal(NLMSG_HDRLEN, STRUCTS.nlmsghdr!.size);
    assert.equal(NLA_HDRLEN, STRUCTS.nlattr!.size);
  });
});

describe("attributes", () => {
  test("encode → decode keeps every type, value and the padding", () => {
    const buf = new AttributeEncoder()
      .uint8(1, 0xab)
      .uint16(2, 0xbeef)
      .uint32(3, 0xdeadbeef)
      .int32(4, -5)
      .uint64(5, 0x1122334455667788n)
      .string(6, "veth0")
      .bytes(7, Buffer.from([1, 2, 3]))
      .flag(8)
      .nested(9, (n) => n.uint32(1, 7).string(2, "x"))
      .encode();
    assert.equal(buf.length % 4, 0);
    const d = new AttributeDecoder(buf);
    const seen: unknown[] = [];
    while (d.next()) {
      switch (d.type) {
        case 1:
          seen.push(d.uint8());
          break;
        case 2:
          seen.push(d.uint16());
          break;
        case 3:
          seen.push(d.uint32());
          break;
        case 4:
          seen.push(d.int32());
          break;
        case 5:
          seen.push(d.uint64());
          break;
        case 6:
          seen.push(d.string());
          break;
        case 7:
          seen.push([...d.bytes()]);
          break;
        case 8:
          seen.push(d.flag());
          break;
        case 9:
          assert.equal(d.attribute!.nested, true);
          d.nested((n) => {
            while (n.next()) seen.push(n.type === 1 ? n.uint32() : n.string());
          });
          break;
      }
    }
    d.finish();
    assert.deepEqual(seen, [0xab, 0xbeef, 0xdeadbeef, -5, 0x1122334455667788n, "veth0", [1, 2, 3], true, 7, "x"]);
  });

  test("big-endian override and NLA_F_NET_BYTEORDER", () => {
    const be = new AttributeEncoder({ endian: "big" }).uint16(1, 0x1234).encode();
    assert.deepEqual([...be], [0, 6, 0, 1, 0x12, 0x34, 0, 0]);
    const d = new AttributeDecoder(be, { endian: "big" });
    assert.ok(d.next());
    assert.equal(d.uint16(), 0x1234);
    // A host-order header with NLA_F_NET_BYTEORDER: the value is big-endian.
    const h = new AttributeEncoder().bytes(3 | NLA.F_NET_BYTEORDER, Buffer.from([0, 0, 1, 2])).encode();
    const d2 = new AttributeDecoder(h);
    assert.ok(d2.next());
    assert.equal(d2.type, 3);
    assert.equal(d2.uint32(), 0x0102);
  });

  test("a value of the wrong size sets a sticky error: nothing decodes after it", () => {
    const buf = new AttributeEncoder().uint16(1, 5).uint32(2, 6).encode();
    const d = new AttributeDecoder(buf);
    assert.ok(d.next());
    assert.equal(d.uint32(), 0);
    assert.ok(d.error instanceof NetlinkMessageError);
    assert.equal(d.next(), false);
    assert.throws(() => d.finish(), NetlinkMessageError);
  });

  test("a length past the end is a NetlinkMessageError with its offset", () => {
    const buf = Buffer.from([8, 0, 1, 0, 1, 2, 3, 4, 40, 0, 2, 0, 9, 9, 9, 9]);
    assert.throws(
      () => parseAttributes(buf),
      (e: NetlinkMessageError) => e.offset === 8 && e.code === "ERR_NETLINK_MESSAGE",
    );
  });

  test("encoder errors are sticky and thrown by encode()", () => {
    const e = new AttributeEncoder().uint8(1, 256).uint32(2, 1);
    assert.throws(() => e.encode(), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => new AttributeEncoder().bytes(1, Buffer.alloc(70000)).encode(), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => new AttributeEncoder().uint32(70000, 1).encode(), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => new AttributeEncoder().nested(1, (n) => n.uint16(1, -1)).encode(), {
      code: "ERR_OUT_OF_RANGE",
    });
  });

  test("bad arguments throw TypeError at once", () => {
    assert.throws(() => new AttributeDecoder("x" as never), { code: "ERR_INVALID_ARG_TYPE" });
  });
});

describe("messages", () => {
  test("encode → parse: several messages in one datagram", () => {
    const a = encodeMessage({
      type: RTM.GETLINK,
      flags: NLM_F.REQUEST | NLM_F.DUMP,
      seq: 7,
      pid: 99,
      data: Buffer.from([1, 2, 3]),
    });
    const b = encodeMessage({ type: NLMSG.DONE, seq: 7, pid: 99, data: Buffer.alloc(4) });
    assert.equal(a.length, 20);
    const msgs = parseMessages(Buffer.concat([a, b]));
    assert.equal(msgs.length, 2);
    assert.deepEqual(
      { type: msgs[0]!.type, flags: msgs[0]!.flags, seq: msgs[0]!.seq, pid: msgs[0]!.pid, data: [...msgs[0]!.data] },
      { type: RTM.GETLINK, flags: NLM_F.REQUEST | NLM_F.DUMP, seq: 7, pid: 99, data: [1, 2, 3] },
    );
    assert.equal(msgs[1]!.type, NLMSG.DONE);
    assert.deepEqual(parseDone(msgs[1]!), { errno: 0 });
  });

  test("truncated headers and lengths are NetlinkMessageError", () => {
    const a = encodeMessage({ type: 20, data: Buffer.alloc(8) });
    assert.throws(() => parseMessages(a.subarray(0, 10)), NetlinkMessageError);
    assert.throws(() => parseMessages(a.subarray(0, 20)), NetlinkMessageError);
    const bad = Buffer.from(a);
    bad.writeUInt32LE(4, 0);
    assert.throws(() => parseMessages(bad), NetlinkMessageError);
  });

  test("encodeMessage validates fields", () => {
    assert.throws(() => encodeMessage({ type: 70000 }), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => encodeMessage({ type: 1.5 }), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => encodeMessage({ type: 1, data: "x" as never }), { code: "ERR_INVALID_ARG_TYPE" });
  });

  test("NLMSG_ERROR with extended ack (capped): errno, message, offset", () => {
    const E = STRUCTS.nlmsgerr!;
    const request = encodeMessage({ type: RTM.NEWROUTE, seq: 5, pid: 42 });
    const body = Buffer.alloc(E.size);
    body.writeInt32LE(-17, E.error!);
    request.copy(body, E.msg!, 0, NLMSG_HDRLEN);
    const tlvs = new AttributeEncoder()
      .string(NLMSGERR_ATTR.MSG, "Route exists")
      .uint32(NLMSGERR_ATTR.OFFS, 28)
      .encode();
    const msg = parseMessages(
      encodeMessage({
        type: NLMSG.ERROR,
        flags: NLM_F.CAPPED | NLM_F.ACK_TLVS,
        seq: 5,
        pid: 42,
        data: Buffer.concat([body, tlvs]),
      }),
    )[0]!;
    const ack = parseAck(msg);
    assert.equal(ack.errno, -17);
    assert.equal(ack.message, "Route exists");
    assert.equal(ack.offset, 28);
    assert.equal(ack.request.type, RTM.NEWROUTE);
    const err = ackError(msg, "RTM_NEWROUTE")!;
    assert.ok(err instanceof NetlinkError);
    assert.equal(err.code, "EEXIST");
    assert.equal(err.errno, -17);
    assert.equal(err.sequence, 5);
    assert.equal(err.kernelMessage, "Route exists");
    assert.match(err.message, /^RTM_NEWROUTE EEXIST: Route exists/);
  });

  test("NLMSG_ERROR not capped: the echoed request is skipped before the TLVs", () => {
    const E = STRUCTS.nlmsgerr!;
    const request = encodeMessage({ type: RTM.NEWADDR, seq: 9, pid: 1, data: Buffer.alloc(12, 0xee) });
    const body = Buffer.alloc(E.msg!);
    body.writeInt32LE(-22, E.error!);
    const tlvs = new AttributeEncoder().string(NLMSGERR_ATTR.MSG, "bad").encode();
    const msg = parseMessages(
      encodeMessage({
        type: NLMSG.ERROR,
        flags: NLM_F.ACK_TLVS,
        seq: 9,
        pid: 1,
        data: Buffer.concat([body, request, tlvs]),
      }),
    )[0]!;
    const ack = parseAck(msg);
    assert.equal(ack.errno, -22);
    assert.equal(ack.message, "bad");
    assert.equal(ack.request.length, 28);
  });

  test("an ack (errno 0) is no error", () => {
    const E = STRUCTS.nlmsgerr!;
    const msg = parseMessages(
      encodeMessage({ type: NLMSG.ERROR, flags: NLM_F.CAPPED, data: Buffer.alloc(E.size) }),
    )[0]!;
    assert.equal(ackError(msg, "x"), undefined);
    assert.throws(() => parseAck({ ...msg, data: Buffer.alloc(4) }), NetlinkMessageError);
  });
});

function ifinfo(index: number, flags: number, attrs: AttributeEncoder): Buffer {
  const I = STRUCTS.ifinfomsg!;
  const b = Buffer.alloc(I.size);
  b.writeInt32LE(index, I.ifi_index!);
  b.writeUInt32LE(flags, I.ifi_flags!);
  return Buffer.concat([b, attrs.encode()]);
}

describe("rtnetlink decoders", () => {
  test("a link", () => {
    const data = ifinfo(
      3,
      1 | 64 | 65536,
      new AttributeEncoder()
        .string(IFLA.IFNAME, "veth0")
        .uint32(IFLA.MTU, 1500)
        .bytes(IFLA.ADDRESS, Buffer.from([2, 0, 0, 0, 0, 1]))
        .uint8(IFLA.OPERSTATE, 6)
        .nested(IFLA.LINKINFO, (n) => n.string(IFLA.INFO_KIND, "veth")),
    );
    const link = decodeLink({ type: RTM.NEWLINK, flags: 0, seq: 0, pid: 0, data });
    assert.equal(link.index, 3);
    assert.equal(link.name, "veth0");
    assert.equal(link.mtu, 1500);
    assert.equal(link.address, "02:00:00:00:00:01");
    assert.equal(link.operstate, "UP");
    assert.equal(link.kind, "veth");
    assert.deepEqual(link.flagNames, ["UP", "LOWER_UP"]);
    assert.deepEqual(linkFlagNames(1), ["NO-CARRIER", "UP"]);
    const ev = decodeRouteEvent({ type: RTM.DELLINK, flags: 0, seq: 0, pid: 0, data });
    assert.equal(ev?.kind, "link");
    assert.equal(ev?.action, "delete");
    assert.throws(
      () => decodeLink({ type: RTM.NEWLINK, flags: 0, seq: 0, pid: 0, data: Buffer.alloc(3) }),
      NetlinkMessageError,
    );
  });

  test("an address and a route", () => {
    const A = STRUCTS.ifaddrmsg!;
    const h = Buffer.alloc(A.size);
    h[A.ifa_family!] = AF.INET;
    h[A.ifa_prefixlen!] = 24;
    h.writeUInt32LE(2, A.ifa_index!);
    const a = decodeAddress({
      type: RTM.NEWADDR,
      flags: 0,
      seq: 0,
      pid: 0,
      data: Buffer.concat([
        h,
        new AttributeEncoder()
          .bytes(IFA.LOCAL, Buffer.from([10, 0, 0, 1]))
          .bytes(IFA.ADDRESS, Buffer.from([10, 0, 0, 1]))
          .string(IFA.LABEL, "eth0")
          .encode(),
      ]),
    });
    assert.deepEqual(
      [a.family, a.local, a.prefixlen, a.scope, a.label, a.address],
      ["inet", "10.0.0.1", 24, "global", "eth0", undefined],
    );
    const R = STRUCTS.rtmsg!;
    const r = Buffer.alloc(R.size);
    r[R.rtm_family!] = AF.INET6;
    r[R.rtm_dst_len!] = 64;
    r[R.rtm_table!] = 254;
    const route = decodeRoute({
      type: RTM.NEWROUTE,
      flags: 0,
      seq: 0,
      pid: 0,
      data: Buffer.concat([
        r,
        new AttributeEncoder()
          .bytes(RTA.DST, Buffer.from("fd000000000000000000000000000000", "hex"))
          .uint32(RTA.OIF, 4)
          .encode(),
      ]),
    });
    assert.equal(route.dst, "fd00::/64");
    assert.equal(route.oif, 4);
    assert.equal(route.family, "inet6");
  });
});

describe("sock_diag and uevent decoders", () => {
  test("state names follow ss", () => {
    assert.equal(stateName(TCP_STATE.LISTEN), "LISTEN");
    assert.equal(stateName(TCP_STATE.ESTABLISHED), "ESTAB");
    assert.equal(stateName(TCP_STATE.CLOSE), "UNCONN");
    assert.equal(stateName(200), "UNKNOWN(200)");
  });

  test("a kernel uevent", () => {
    const ev = parseUevent(
      Buffer.from(
        "add@/devices/virtual/net/v0\0ACTION=add\0DEVPATH=/devices/virtual/net/v0\0SUBSYSTEM=net\0SEQNUM=42\0INTERFACE=v0\0",
      ),
    );
    assert.equal(ev.action, "add");
    assert.equal(ev.devpath, "/devices/virtual/net/v0");
    assert.equal(ev.subsystem, "net");
    assert.equal(ev.seqnum, 42);
    assert.equal(ev.env.INTERFACE, "v0");
    assert.throws(() => parseUevent(Buffer.from("libudev\0xxxx")), NetlinkMessageError);
    assert.throws(() => parseUevent(Buffer.from("garbage")), NetlinkMessageError);
  });
});
