// What the stand-in plugins share: the project's @pulumi/pulumi, property values as its provider
// server hands them over (Struct.toJavaScript), and the engine log. Installed next to each plugin.
"use strict";

const path = require("path");

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const isSecret = (v) => isObject(v) && v[SIG_KEY] === SECRET_SIG;
const secret = (v) => ({ [SIG_KEY]: SECRET_SIG, value: v });

/** The value with every secret wrapper (at any depth) removed. */
function reveal(v) {
    if (isSecret(v)) return reveal(v.value);
    if (Array.isArray(v)) return v.map(reveal);
    if (isObject(v)) {
        const out = {};
        for (const k of Object.keys(v)) out[k] = reveal(v[k]);
        return out;
    }
    return v;
}
function containsSecret(v) {
    if (isSecret(v)) return true;
    if (Array.isArray(v)) return v.some(containsSecret);
    if (isObject(v)) return Object.keys(v).some((k) => containsSecret(v[k]));
    return false;
}
function containsUnknown(v) {
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) return v.some(containsUnknown);
    if (isObject(v)) return Object.keys(v).some((k) => containsUnknown(v[k]));
    return false;
}
/** Structural equality of revealed values; null and absent are the same. */
function sameValue(a, b) {
    const canon = (v) => {
        if (v === undefined || v === null) return null;
        if (Array.isArray(v)) return v.map(canon);
        if (isObject(v)) {
            const out = {};
            for (const k of Object.keys(v).sort()) if (v[k] !== undefined && v[k] !== null) out[k] = canon(v[k]);
            return out;
        }
        return v;
    };
    return JSON.stringify(canon(reveal(a))) === JSON.stringify(canon(reveal(b)));
}

/** Throws unless the URN names `type`: each stand-in implements one resource type only. */
function requireType(urn, type, pluginName) {
    const actual = urn.split("::")[2].split("$").pop();
    if (actual !== type) {
        throw new Error(`unknown resource type ${actual}: the offline stand-in of ${pluginName} implements ${type} only`);
    }
}

/** The engine's address: the plugin's first argument that is not a flag. */
function engineAddressFromArgs(args) {
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === "--tracing") { i++; continue; }
        if (a === "--logtostderr" || a.startsWith("-v=") || a.startsWith("--")) continue;
        return a;
    }
    return undefined;
}

/**
 * Loads the project's SDK for the plugin `pluginName` (exits with a message when the project has
 * none) and returns the shared helpers, the provider server and an engine logger.
 */
module.exports = function standIn(pluginName) {
    // The CLI starts provider plugins in the project directory; the SDK comes from its node_modules.
    const resolveFrom = (dir, request) => require.resolve(request, { paths: [dir] });
    let sdkDir;
    try {
        sdkDir = path.dirname(resolveFrom(process.cwd(), "@pulumi/pulumi/package.json"));
    } catch (err) {
        console.error(`${pluginName} (stand-in): @pulumi/pulumi is not installed under ${process.cwd()}; run npm install.`);
        process.exit(1);
    }

    // Output goes to the engine's Log, under the resource, as upstream's plugins do; without an
    // engine (a plugin started by hand) it goes to this process's stderr.
    let engineClient;
    let engineLoadFailed = false;
    function engine() {
        if (engineClient || engineLoadFailed) return engineClient;
        const address = engineAddressFromArgs(process.argv.slice(2));
        try {
            if (!address) throw new Error("no engine address");
            const grpc = require(resolveFrom(sdkDir, "@grpc/grpc-js"));
            const engineRpc = require(path.join(sdkDir, "proto", "engine_grpc_pb.js"));
            engineClient = new engineRpc.EngineClient(address, grpc.credentials.createInsecure());
        } catch (err) {
            engineLoadFailed = true;
        }
        return engineClient;
    }
    const enginePb = require(path.join(sdkDir, "proto", "engine_pb.js"));
    let logChain = Promise.resolve();
    const toStderr = (message) => process.stderr.write(message.endsWith("\n") ? message : message + "\n");
    /** Queues one INFO message; messages reach the engine in order. Returns the queue's tail. */
    function logInfo(urn, message, ephemeral) {
        logChain = logChain.then(() => new Promise((resolve) => {
            const client = engine();
            if (!client) {
                toStderr(message);
                return resolve();
            }
            const req = new enginePb.LogRequest();
            req.setSeverity(enginePb.LogSeverity.INFO);
            req.setMessage(message);
            req.setUrn(urn || "");
            req.setEphemeral(Boolean(ephemeral));
            client.log(req, (err) => {
                if (err) toStderr(message);
                resolve();
            });
        }));
        return logChain;
    }

    return {
        requireType: (urn, type) => requireType(urn, type, pluginName),
        providerServer: require(path.join(sdkDir, "provider")),
        resolveFrom,
        logInfo,
        /** Resolves once every message queued so far reached the engine. */
        logsFlushed: () => logChain,
        UNKNOWN, isObject, isSecret, secret, reveal, containsSecret, containsUnknown, sameValue,
    };
};
