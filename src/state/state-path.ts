/** Where `run` writes its heartbeat state unless told otherwise (relative to its cwd). */
export const DEFAULT_STATE_PATH = "state/heartbeat.state.json";
