// TypeDoc plugin: puts every export of src/index.ts into the group of the
// API guide section (docs/guide.md) it belongs to, by the source file that declares it, so the
// reference reads like the guide (Sockets, Addresses, Socket options,
// Messages, Names and servers, Raw IP and packet, Netlink, POSIX, Errors,
// Constants) without an @group tag in hundreds of doc comments. An explicit
// @group tag in a comment still wins. A new source file not matched below
// lands in "Other" and fails `npm run docs` (the check at the end), so the
// table cannot silently fall behind src/.
import { Comment, CommentTag, Converter, ReflectionKind } from "typedoc";

/** [pattern on the path under src/, group]: the first match wins. */
const GROUPS = [
  [/^(errors|netlink\/errors|packets\/error|filter\/error)\.ts$/, "Errors"],
  [/^(constants|raw\/native|raw\/headers)\.ts$/, "Constants"],
  [/^(socket|call-options|datagram|sendfile|validate)\.ts$/, "Sockets"], // datagram.ts: the DatagramSocket of issue 18
  [/^(address|names)\.ts$/, "Addresses"],
  [/^options\/(sol-packet|ipproto-icmpv6)\.ts$/, "Raw IP, ICMP and packet"],
  [/^options\/sol-netlink\.ts$/, "Netlink"],
  [/^options\//, "Socket options"],
  [/^(messages|message-batch|message-iterator|fdpass|credentials|control)\.ts$/, "Messages"],
  [/^(resolver|raw\/resolver|connect|server|stale|selector|activation)\.ts$/, "Names, connections, servers and select"],
  [
    /^(packets\/.*|filter\/.*|packet|packet-ring|pcap|pcapng|pcap-sink|bpf|icmp-[\w-]+|ping|traceroute)\.ts$/,
    "Raw IP, ICMP and packet",
  ],
  [/^(netlink\/.*|netns)\.ts$/, "Netlink"],
  [/^posix\.ts$/, "POSIX"],
];

/** The order of the groups on the index page and in the navigation. */
export const GROUP_ORDER = [
  "Sockets",
  "Addresses",
  "Socket options",
  "Messages",
  "Names, connections, servers and select",
  "Raw IP, ICMP and packet",
  "Netlink",
  "POSIX",
  "Errors",
  "Constants",
];

function groupOf(fileName) {
  const m = /(?:^|\/)src\/(.*)$/.exec(fileName.replaceAll("\\", "/"));
  if (!m) return undefined;
  for (const [re, group] of GROUPS) if (re.test(m[1])) return group;
  return undefined;
}

function hasGroup(comment) {
  return comment?.blockTags.some((t) => t.tag === "@group") ?? false;
}

/** @param {import("typedoc").Application} app */
export function load(app) {
  // Before GroupPlugin (priority -100) turns the tags into groups.
  app.converter.on(
    Converter.EVENT_RESOLVE_END,
    (context) => {
      const unplaced = [];
      for (const child of context.project.children ?? []) {
        const target = child.kindOf(ReflectionKind.Reference) ? child.getTargetReflectionDeep() : child;
        const file = context.project.getSymbolIdFromReflection(target)?.fileName ?? "";
        const group = child.name === "posix" ? "POSIX" : groupOf(file);
        if (!group) {
          unplaced.push(`${child.name} (${file})`);
          continue;
        }
        const sigs = child.signatures ?? [];
        if (hasGroup(child.comment) || sigs.some((s) => hasGroup(s.comment))) continue;
        // Onto the comment that is there (a function's is on its signature).
        // An export without one gets none: it stays undocumented, and the
        // notDocumented check fails the build on it.
        // A namespace (posix) and a re-export (htons, also in posix) are not
        // required to have one, so they get an empty comment to carry the tag.
        if (!child.comment && child.kindOf(ReflectionKind.Namespace | ReflectionKind.Reference)) {
          child.comment = new Comment();
        }
        const comment = child.comment ?? sigs.find((s) => s.comment)?.comment;
        comment?.blockTags.push(new CommentTag("@group", [{ kind: "text", text: group }]));
      }
      for (const u of unplaced) {
        app.logger.warn(`docs/typedoc/groups.mjs: no guide group for ${u}; add its file to GROUPS`);
      }
    },
    0,
  );
}
