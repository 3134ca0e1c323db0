/**
 * A TCP proxy in front of the PostgreSQL server that can cut its connections the way a network
 * does, mid-conversation: `cutNext()` arms it, and the next bytes the server sends to any client
 * make it destroy both ends of every connection instead of passing them on.
 */
import net from "node:net";

export interface CutProxy {
  port: number;
  cutNext(): void;
  /** Connections cut so far. */
  cuts(): number;
  close(): Promise<void>;
}

export async function cutProxy(host: string, port: number): Promise<CutProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let armed = false;
  let cuts = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    client.on("data", (d) => upstream.write(d));
    upstream.on("data", (d) => {
      if (!armed) {
        client.write(d);
        return;
      }
      armed = false;
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
        cuts++;
      }
      pairs.clear();
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cutNext: () => {
      armed = true;
    },
    cuts: () => cuts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const [a, b] of pairs) {
          a.destroy();
          b.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
