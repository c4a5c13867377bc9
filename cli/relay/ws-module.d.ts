/**
 * The part of the `ws` package (8.x) the relay uses, declared here instead of
 * adding @types/ws: WebSocket client and server, binary messages, pause/resume.
 */
declare module "ws" {
  import type { EventEmitter } from "node:events";
  import type { IncomingMessage } from "node:http";

  export class WebSocket extends EventEmitter {
    constructor(url: string, options?: { perMessageDeflate?: boolean; maxPayload?: number; origin?: string });
    readonly readyState: number;
    readonly bufferedAmount: number;
    binaryType: "nodebuffer" | "arraybuffer" | "fragments";
    send(data: Buffer | string, options?: { binary?: boolean }, cb?: (err?: Error) => void): void;
    close(code?: number, reason?: string): void;
    terminate(): void;
    pause(): void;
    resume(): void;
    on(event: "open", listener: () => void): this;
    on(event: "message", listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): this;
    on(event: "close", listener: (code: number, reason: Buffer) => void): this;
    on(event: "error", listener: (err: Error) => void): this;
    on(event: "unexpected-response", listener: (req: unknown, res: IncomingMessage) => void): this;
    once(event: "open", listener: () => void): this;
    once(event: "message", listener: (data: Buffer, isBinary: boolean) => void): this;
    once(event: "error", listener: (err: Error) => void): this;
    once(event: "close", listener: (code: number, reason: Buffer) => void): this;
    static readonly OPEN: number;
  }

  export class WebSocketServer extends EventEmitter {
    constructor(
      options: {
        host?: string;
        port?: number;
        path?: string;
        perMessageDeflate?: boolean;
        maxPayload?: number;
        /** Called for each upgrade; `done(false, 403, "…")` refuses it with that HTTP status. */
        verifyClient?: (
          info: { origin?: string; secure: boolean; req: IncomingMessage },
          done: (ok: boolean, code?: number, message?: string) => void,
        ) => void;
      },
      callback?: () => void,
    );
    address(): { address: string; port: number } | string;
    close(cb?: (err?: Error) => void): void;
    readonly clients: Set<WebSocket>;
    on(event: "connection", listener: (ws: WebSocket, req: IncomingMessage) => void): this;
    on(event: "error", listener: (err: Error) => void): this;
    on(event: "listening", listener: () => void): this;
    once(event: "listening", listener: () => void): this;
    once(event: "error", listener: (err: Error) => void): this;
    off(event: string, listener: (...args: never[]) => void): this;
  }
}
