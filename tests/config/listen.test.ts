import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { resolveConfig } from "../../src/config/resolve.ts";
import { formatListenAddress, parseListenAddress } from "../../src/http/listen-address.ts";
import { userErrorOf as failure } from "../helpers/user-error.ts";

test.each([
  ["9464", "127.0.0.1", 9464],
  [9464, "127.0.0.1", 9464],
  [" 127.0.0.1:9464 ", "127.0.0.1", 9464],
  ["0.0.0.0:9464", "0.0.0.0", 9464],
  ["10.1.2.3:80", "10.1.2.3", 80],
  ["localhost:65535", "localhost", 65535],
  ["[::1]:9464", "::1", 9464],
  ["[::]:1", "::", 1],
])("--listen %p listens on %s port %d", (value, host, port) => {
  expect(parseListenAddress(value, "--listen")).toEqual({ host, port });
});

test.each(["", "abc", "0", "65536", "127.0.0.1:0", ":9464", "127.0.0.1", "256.0.0.1:9464", "01.2.3.4:9464", "example.com:9464", "::1:9464", "[::1]", "[:::1:::2]:80", "http://127.0.0.1:9464", "127.0.0.1:9464/metrics"])(
  "--listen %p is one usage error",
  (value) => {
    expect(failure(() => parseListenAddress(value, "--listen"))).toBe(
      `--listen: "${value}" is not a listen address; give a port (9464 means 127.0.0.1:9464) or HOST:PORT, e.g. 127.0.0.1:9464 or 0.0.0.0:9464`,
    );
  },
);

test("formatListenAddress brackets IPv6", () => {
  expect(formatListenAddress({ host: "127.0.0.1", port: 9464 })).toBe("127.0.0.1:9464");
  expect(formatListenAddress({ host: "::1", port: 9464 })).toBe("[::1]:9464");
});

test("off by default; --listen, RESILIENCE_LISTEN and http.listen, flags winning", async () => {
  expect(resolveConfig({}, undefined, {}).listen).toBeUndefined();
  expect(resolveConfig({}, undefined, { listen: "9000" }).listen).toEqual({ host: "127.0.0.1", port: 9000 });
  expect(resolveConfig({ http: { listen: 9001 } }, "r.yml", {}).listen).toEqual({ host: "127.0.0.1", port: 9001 });
  expect(resolveConfig({ http: { listen: "0.0.0.0:9002" } }, "r.yml", { listen: "9003" }).listen).toEqual({ host: "127.0.0.1", port: 9003 });
  expect((await loadConfig({ env: { RESILIENCE_LISTEN: "0.0.0.0:9004" } })).listen).toEqual({ host: "0.0.0.0", port: 9004 });
  expect((await loadConfig({ env: { RESILIENCE_LISTEN: "9004" }, flags: { listen: "9005" } })).listen?.port).toBe(9005);
});

test("a bad value names where it came from; an unknown http key is reported", async () => {
  expect(failure(() => resolveConfig({ http: { listen: "nope" } }, "r.yml", {}))).toStartWith('r.yml: http.listen: "nope" is not a listen address');
  expect(failure(() => resolveConfig({ http: { listen: true } }, "r.yml", {}))).toStartWith('r.yml: http.listen: "true" is not a listen address');
  const err = await loadConfig({ env: { RESILIENCE_LISTEN: "99999" } }).catch((e: Error) => e.message);
  expect(err).toStartWith('RESILIENCE_LISTEN: "99999" is not a listen address');
  expect(resolveConfig({ http: { port: 9464 } }, "r.yml", {}).warnings).toEqual(["r.yml: unknown key http.port is ignored; check its spelling against config/resilience.yml"]);
});
