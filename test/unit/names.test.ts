/**
 * Names for families, types and protocols, both ways. The numbers are checked
 * against an oracle nobody here wrote: CPython's socket module, which takes
 * them from the same system headers.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import { AF, IPPROTO, NETLINK, SOCK, constantName } from "../../src/constants.js";
import { familyLabel, familyNumber, protocolLabel, protocolNumber, typeLabel, typeNumber } from "../../src/names.js";

/** CPython's view of the constants: { "AF_INET": 2, ... }. */
const py: Record<string, number> = JSON.parse(
  execFileSync(
    "python3",
    [
      "-c",
      "import socket, json; print(json.dumps({k: int(getattr(socket, k)) for k in dir(socket) if k.startswith(('AF_', 'SOCK_', 'IPPROTO_', 'NETLINK_'))}))",
    ],
    { encoding: "utf8" },
  ),
);

/** Asserts `fn` throws synchronously an error of class `cls` carrying `code`. */
function throwsCoded(
  fn: () => unknown,
  cls: typeof TypeError | typeof RangeError | (typeof TypeError | typeof RangeError)[],
  code: string | string[],
): void {
  const codes = Array.isArray(code) ? code : [code];
  const classes = Array.isArray(cls) ? cls : [cls];
  assert.throws(fn, (e: unknown) => {
    assert.ok(
      classes.some((c) => e instanceof c),
      `expected a ${classes.map((c) => c.name).join("/")}, got ${String(e)}`,
    );
    assert.ok(
      codes.includes((e as { code: string }).code),
      `code ${(e as { code: string }).code} not in ${codes.join("/")}`,
    );
    return true;
  });
}

describe("family names", () => {
  const cases = [
    ["inet", "AF_INET"],
    ["inet6", "AF_INET6"],
    ["unix", "AF_UNIX"],
    ["netlink", "AF_NETLINK"],
    ["packet", "AF_PACKET"],
  ] as const;

  for (const [name, cname] of cases) {
    test(`"${name}" is ${cname} as CPython sees it, and back`, () => {
      assert.equal(typeof py[cname], "number", `python3 has no socket.${cname}`);
      assert.equal(familyNumber(name), py[cname]);
      assert.equal(familyLabel(py[cname]!), name);
      assert.equal(constantName("AF", py[cname]!).startsWith("AF_"), true);
    });
  }

  test("numbers pass through, including ones sockit has no name for", () => {
    assert.equal(familyNumber(py.AF_INET6!), py.AF_INET6);
    assert.equal(familyNumber(py.AF_APPLETALK!), py.AF_APPLETALK);
    // A family with no name in the contract is reported as its number, never rejected.
    assert.equal(familyLabel(py.AF_APPLETALK!), py.AF_APPLETALK);
    assert.equal(familyLabel(12345), 12345);
  });

  test("an unknown name or a value of the wrong kind is a TypeError with an ERR_ code, thrown at once", () => {
    throwsCoded(() => familyNumber("ipx"), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => familyNumber("INET"), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => familyNumber(""), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => familyNumber(-1), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => familyNumber(2.5), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => familyNumber(null), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => familyNumber({}), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => familyNumber("toString"), TypeError, "ERR_INVALID_ARG_VALUE");
  });

  test("the message names the accepted names", () => {
    assert.throws(() => familyNumber("ipx"), /inet6/);
  });
});

describe("type names", () => {
  const cases = [
    ["stream", "SOCK_STREAM"],
    ["dgram", "SOCK_DGRAM"],
    ["seqpacket", "SOCK_SEQPACKET"],
    ["raw", "SOCK_RAW"],
    ["rdm", "SOCK_RDM"],
  ] as const;

  for (const [name, cname] of cases) {
    test(`"${name}" is ${cname} as CPython sees it, and back`, () => {
      assert.equal(typeNumber(name), py[cname]);
      assert.equal(typeLabel(py[cname]!), name);
    });
  }

  test("the flag bits are the headers' values", () => {
    assert.equal(SOCK.NONBLOCK, py.SOCK_NONBLOCK);
    assert.equal(SOCK.CLOEXEC, py.SOCK_CLOEXEC);
  });

  test("numbers pass through; unknown numbers label as numbers", () => {
    assert.equal(typeNumber(SOCK.DGRAM), SOCK.DGRAM);
    assert.equal(typeLabel(99), 99);
  });

  test("bad type names are TypeErrors with ERR_INVALID_ARG_VALUE, thrown at once", () => {
    throwsCoded(() => typeNumber("datagram"), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => typeNumber("STREAM"), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => typeNumber(undefined), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => typeNumber(Number.NaN), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => typeNumber("constructor"), TypeError, "ERR_INVALID_ARG_VALUE");
  });
});

describe("protocol names", () => {
  test("IP protocol names resolve to CPython's IPPROTO_* numbers, case-insensitively", () => {
    for (const name of ["tcp", "udp", "icmp", "icmpv6", "raw", "sctp", "udplite", "ipv6", "igmp", "mptcp"]) {
      const cname = `IPPROTO_${name.toUpperCase()}`;
      assert.equal(typeof py[cname], "number", `python3 has no socket.${cname}`);
      assert.equal(protocolNumber(AF.INET, name), py[cname], name);
      assert.equal(protocolNumber(AF.INET6, name.toUpperCase()), py[cname], name.toUpperCase());
    }
  });

  test("netlink protocol names resolve to NETLINK_* numbers, not IPPROTO_*", () => {
    assert.equal(protocolNumber(AF.NETLINK, "route"), py.NETLINK_ROUTE);
    assert.equal(protocolNumber(AF.NETLINK, "xfrm"), py.NETLINK_XFRM);
    assert.equal(protocolNumber(AF.NETLINK, "sock_diag"), NETLINK.SOCK_DIAG);
    assert.equal(protocolNumber(AF.NETLINK, "kobject_uevent"), NETLINK.KOBJECT_UEVENT);
    throwsCoded(() => protocolNumber(AF.NETLINK, "tcp"), TypeError, "ERR_INVALID_ARG_VALUE");
  });

  test("no protocol means 0 (the family's default)", () => {
    assert.equal(protocolNumber(AF.INET, undefined), 0);
    assert.equal(protocolNumber(AF.INET, null), 0);
    assert.equal(protocolNumber(AF.INET, 0), 0);
  });

  test("numbers pass through", () => {
    assert.equal(protocolNumber(AF.INET, 6), 6);
    assert.equal(protocolNumber(AF.INET, IPPROTO.MPTCP), IPPROTO.MPTCP);
  });

  test("unknown names and wrong kinds are coded errors thrown at once", () => {
    throwsCoded(() => protocolNumber(AF.INET, "tpc"), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => protocolNumber(AF.INET, ""), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => protocolNumber(AF.INET, {}), TypeError, "ERR_INVALID_ARG_TYPE");
    throwsCoded(() => protocolNumber(AF.INET, true), TypeError, "ERR_INVALID_ARG_TYPE");
    throwsCoded(
      () => protocolNumber(AF.INET, -1),
      [TypeError, RangeError],
      ["ERR_INVALID_ARG_TYPE", "ERR_OUT_OF_RANGE"],
    );
    throwsCoded(
      () => protocolNumber(AF.INET, 1.5),
      [TypeError, RangeError],
      ["ERR_INVALID_ARG_TYPE", "ERR_OUT_OF_RANGE"],
    );
  });

  test("labels: numbers back to names within the family", () => {
    assert.equal(protocolLabel(AF.INET, py.IPPROTO_TCP!), "tcp");
    assert.equal(protocolLabel(AF.INET6, py.IPPROTO_UDP!), "udp");
    assert.equal(protocolLabel(AF.INET6, py.IPPROTO_ICMPV6!), "icmpv6");
    assert.equal(protocolLabel(AF.NETLINK, NETLINK.KOBJECT_UEVENT), "kobject_uevent");
    // 0 is "the default" in every family, whatever alias the headers give it.
    assert.equal(protocolLabel(AF.INET, 0), 0);
    assert.equal(protocolLabel(AF.NETLINK, 0), 0);
    // Families without protocol names, and unknown numbers, stay numbers.
    assert.equal(protocolLabel(AF.UNIX, 6), 6);
    assert.equal(protocolLabel(AF.INET, 253), 253);
  });

  test("every IPPROTO and NETLINK value survives number → label → number", () => {
    for (const [group, family] of [
      [IPPROTO, AF.INET],
      [NETLINK, AF.NETLINK],
    ] as const) {
      for (const value of Object.values(group)) {
        if (value === undefined) continue;
        const label = protocolLabel(family, value);
        assert.equal(protocolNumber(family, label), value, `value ${value} labelled ${String(label)}`);
      }
    }
  });
});
