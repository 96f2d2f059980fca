/**
 * onnxruntime's telemetry, off. Since 1.2x, onnxruntime on Linux and macOS starts Microsoft's telemetry
 * uploader when it loads: it writes a device id and queued events under
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime and sends them later. instructzero promises to write
 * nothing but its ledger and caches (and nothing at all with `store: false`), so this module, imported
 * before every import of onnxruntime-node, sets the runtime's opt-out variables unless the user set them:
 * ORT_DISABLE_TELEMETRY (what 1.30 reads) and ORT_TELEMETRY_DISABLED (its later name). The runtime reads
 * them when it loads, so they must be set before; process.env reaches the native getenv.
 */

/** The variables set (for tests and docs). */
export const ORT_TELEMETRY_VARIABLES = ["ORT_DISABLE_TELEMETRY", "ORT_TELEMETRY_DISABLED"] as const;

for (const name of ORT_TELEMETRY_VARIABLES) process.env[name] ??= "1";
