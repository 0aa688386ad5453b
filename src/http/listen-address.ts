import { UserError } from "../errors.ts";

/** Where `run --listen` serves /metrics, /healthz and /state. */
export interface ListenAddress {
  /** An IPv4 address, `localhost`, or an IPv6 address without brackets. */
  host: string;
  port: number;
}

/** A bare port listens here: metrics stay on this host unless an address says otherwise. */
export const DEFAULT_LISTEN_HOST = "127.0.0.1";

/**
 * `--listen`, `RESILIENCE_LISTEN` or `http.listen`: a port (`9464` = 127.0.0.1:9464) or
 * HOST:PORT with HOST an IPv4 address (`0.0.0.0` for every interface), `localhost`, or
 * `[IPv6]`. Anything else is a UserError naming `what`.
 */
export function parseListenAddress(value: unknown, what: string): ListenAddress {
  const text = typeof value === "number" ? String(value) : typeof value === "string" ? value.trim() : "";
  const bare = /^\d{1,5}$/.exec(text);
  const hostPort = /^(\d{1,3}(?:\.\d{1,3}){3}|localhost|\[[0-9a-fA-F:.]+\]):(\d{1,5})$/.exec(text);
  const port = Number(bare ? bare[0] : hostPort?.[2]);
  const host = bare ? DEFAULT_LISTEN_HOST : (hostPort?.[1] ?? "").replace(/^\[|\]$/g, "");
  if ((!bare && !hostPort) || !(port >= 1 && port <= 65_535) || !_validHost(host)) {
    throw new UserError(`${what}: "${String(value)}" is not a listen address; give a port (9464 means 127.0.0.1:9464) or HOST:PORT, e.g. 127.0.0.1:9464 or 0.0.0.0:9464`);
  }
  return { host, port };
}

/** `127.0.0.1:9464`, `[::1]:9464`. */
export function formatListenAddress(address: ListenAddress): string {
  return `${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`;
}

// --- internal ---

function _validHost(host: string): boolean {
  if (host === "localhost") return true;
  if (host.includes(":")) return /^[0-9a-fA-F:.]+$/.test(host) && host.split("::").length <= 2;
  return host.split(".").every((part) => Number(part) <= 255 && !/^0\d/.test(part));
}
