{
  "targets": [
    {
      "target_name": "sockit",
      "sources": [
        "native/module.c",
        "native/args.c",
        "native/syscalls.c",
        "native/resolver.c",
        "native/poller.c",
        "native/poller_epoll_linux.c",
        "native/poller_env.c",
        "native/constants_linux.c",
        "native/tcp_states_linux.c",
        "native/msg_linux.c",
        "native/packet_linux.c",
        "native/netns_linux.c",
        "native/netlink_linux.c"
      ],
      "cflags_c": ["-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-O2"],
      "cflags!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"]
    }
  ]
}
