#!/usr/bin/env node
// pulumi-resource-command 1.2.1, offline stand-in (see README.md next to this file).
//
// Upstream's plugin is a Go module the reachable Go module proxy does not serve, and plugin
// downloads are impossible here. This plugin serves the same ResourceProvider gRPC service with
// the provider server of the project's own @pulumi/pulumi, for the part of the package the
// project uses: the resource `command:local:Command` and the function `command:local:run`
// (what `command.local.run` / `runOutput` invoke), with upstream's names, inputs, outputs and
// defaults. Written from scratch; not a copy of upstream code.
"use strict";

const childProcess = require("child_process");
const crypto = require("crypto");
const path = require("path");

const PROVIDER_VERSION = "1.2.1";

const { requireType, providerServer, logInfo, logsFlushed, UNKNOWN, isObject, secret, reveal, containsSecret, containsUnknown, sameValue } =
    require("./support.js")("pulumi-resource-command");

// ---- Running a command ------------------------------------------------------------------------
const LOGGING = ["stdout", "stderr", "stdoutAndStderr", "none"];
const DEFAULT_INTERPRETER = ["/bin/sh", "-c"];
const running = new Set();

const trimNewline = (s) => (s.endsWith("\n") ? s.slice(0, -1) : s);
const lastLines = (s, n) => {
    const lines = trimNewline(s).split("\n");
    return (lines.length > n ? ["...", ...lines.slice(-n)] : lines).join("\n");
};

/** A line-splitting sink that logs each complete line (the last, partial one at the end). */
function lineLogger(urn, enabled) {
    let pending = "";
    return {
        write(chunk) {
            if (!enabled) return;
            pending += chunk;
            const lines = pending.split("\n");
            pending = lines.pop();
            for (const line of lines) logInfo(urn, line);
        },
        end() {
            if (enabled && pending) logInfo(urn, pending);
            pending = "";
        },
    };
}

/**
 * Runs `script` with the interpreter; resolves { stdout, stderr } (one trailing newline trimmed,
 * as upstream), rejects with a readable error on a non-zero exit.
 * opts: { urn, operation, interpreter, dir, environment, stdin, logging }, all values revealed.
 */
function runCommand(script, opts) {
    const interpreter = opts.interpreter && opts.interpreter.length ? opts.interpreter : DEFAULT_INTERPRETER;
    const logging = opts.logging || "stdoutAndStderr";
    const logStdout = logging === "stdout" || logging === "stdoutAndStderr";
    const logStderr = logging === "stderr" || logging === "stdoutAndStderr";
    const env = { ...process.env };
    for (const [k, v] of Object.entries(opts.environment || {})) env[k] = v === undefined || v === null ? "" : String(v);
    const cwd = opts.dir ? path.resolve(process.cwd(), opts.dir) : process.cwd();

    return new Promise((resolve, reject) => {
        let child;
        try {
            child = childProcess.spawn(interpreter[0], [...interpreter.slice(1), script], { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
        } catch (err) {
            reject(new Error(`${opts.operation}: could not start ${interpreter[0]}: ${err.message}`));
            return;
        }
        running.add(child);
        const out = [];
        const err = [];
        const outLog = lineLogger(opts.urn, logStdout);
        const errLog = lineLogger(opts.urn, logStderr);
        child.stdout.setEncoding("utf8");
        child.stderr.setEncoding("utf8");
        child.stdout.on("data", (d) => { out.push(d); outLog.write(d); });
        child.stderr.on("data", (d) => { err.push(d); errLog.write(d); });
        child.stdin.on("error", () => { /* the command did not read all of stdin */ });
        if (typeof opts.stdin === "string" && opts.stdin !== "") child.stdin.write(opts.stdin);
        child.stdin.end();
        let spawnError;
        child.on("error", (e) => { spawnError = e; });
        child.on("close", (code, signal) => {
            running.delete(child);
            outLog.end();
            errLog.end();
            const stdout = out.join("");
            const stderr = err.join("");
            logsFlushed().then(() => {
                if (spawnError) {
                    reject(new Error(`${opts.operation}: could not run ${interpreter[0]}: ${spawnError.message}`));
                } else if (code !== 0) {
                    const status = code === null ? `killed by ${signal}` : `exit status ${code}`;
                    let message = `${opts.operation} command failed: ${status}`;
                    message += stderr.trim() ? `\nstderr (last lines):\n${lastLines(stderr, 20)}` : "\nstderr: (empty)";
                    if (logStdout && stdout.trim()) message += `\nstdout (last lines):\n${lastLines(stdout, 20)}`;
                    reject(new Error(message));
                } else {
                    resolve({ stdout: trimNewline(stdout), stderr: trimNewline(stderr) });
                }
            });
        });
    });
}

// ---- command:local:Command -----------------------------------------------------------------
const COMMAND_TYPE = "command:local:Command";
const RUN_TOKEN = "command:local:run";
const COMMAND_INPUTS = ["create", "update", "delete", "environment", "dir", "interpreter", "stdin",
    "logging", "triggers", "addPreviousOutputInEnv", "assetPaths", "archivePaths"];
const RUN_INPUTS = ["command", "dir", "environment", "interpreter", "stdin", "logging", "addPreviousOutputInEnv",
    "assetPaths", "archivePaths"];

const resourceName = (urn) => urn.split("::").pop();

/** Check failures common to the resource and the function (values may be unknown or secret). */
function validate(props) {
    const failures = [];
    for (const key of ["assetPaths", "archivePaths"]) {
        const v = props[key];
        if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) {
            failures.push({ property: key, reason: `${key} is not supported by the offline stand-in of pulumi-resource-command ${PROVIDER_VERSION} (toolchain/stand-in-providers/README.md)` });
        }
    }
    const logging = reveal(props.logging);
    if (logging !== undefined && logging !== null && logging !== UNKNOWN && !LOGGING.includes(logging)) {
        failures.push({ property: "logging", reason: `logging must be one of ${LOGGING.join(", ")}; got ${JSON.stringify(logging)}` });
    }
    const interpreter = reveal(props.interpreter);
    if (interpreter !== undefined && interpreter !== null && interpreter !== UNKNOWN &&
        !(Array.isArray(interpreter) && interpreter.length > 0)) {
        failures.push({ property: "interpreter", reason: "interpreter must be a non-empty list of strings" });
    }
    const environment = reveal(props.environment);
    if (environment !== undefined && environment !== null && environment !== UNKNOWN && !isObject(environment)) {
        failures.push({ property: "environment", reason: "environment must be a map of strings" });
    }
    return failures;
}

/** The revealed options a run takes from a property bag. */
function runOptions(urn, operation, props, extraEnv) {
    return {
        urn,
        operation,
        interpreter: reveal(props.interpreter),
        dir: reveal(props.dir),
        environment: { ...(reveal(props.environment) || {}), ...(extraEnv || {}) },
        stdin: reveal(props.stdin),
        logging: reveal(props.logging),
    };
}

/** Outputs: the inputs as given (secret ones stay secret), plus stdout and stderr. */
function commandOutputs(inputs, result, scriptKey) {
    // stdout/stderr are made from the script, its environment and stdin: secret when one of those is.
    const fromSecret = [scriptKey, "environment", "stdin"].some((k) => k && containsSecret(inputs[k]));
    const wrap = (s) => (fromSecret ? secret(s) : s);
    const outs = {};
    for (const k of COMMAND_INPUTS) if (inputs[k] !== undefined) outs[k] = inputs[k];
    outs.stdout = wrap(result.stdout);
    outs.stderr = wrap(result.stderr);
    return outs;
}

function previousOutputEnv(state) {
    if (reveal(state.addPreviousOutputInEnv) === false) return {};
    return {
        PULUMI_COMMAND_STDOUT: String(reveal(state.stdout) ?? ""),
        PULUMI_COMMAND_STDERR: String(reveal(state.stderr) ?? ""),
    };
}

const requireCommandType = (urn) => requireType(urn, COMMAND_TYPE);

const provider = {
    version: PROVIDER_VERSION,

    async getSchema() {
        return "{}";
    },

    async check(urn, olds, news) {
        requireCommandType(urn);
        const inputs = { ...news };
        if (inputs.addPreviousOutputInEnv === undefined || inputs.addPreviousOutputInEnv === null) {
            inputs.addPreviousOutputInEnv = true; // upstream's schema default
        }
        return { inputs, failures: validate(inputs) };
    },

    async diff(id, urn, olds, news) {
        const changed = COMMAND_INPUTS.filter((k) => containsUnknown(news[k]) || !sameValue(olds[k], news[k]));
        // Triggers are replace-on-change; an unknown trigger (preview) may change, so it replaces too.
        const replaces = changed.includes("triggers") ? ["triggers"] : [];
        return { changes: changed.length > 0, replaces };
    },

    async create(urn, inputs) {
        requireCommandType(urn);
        const script = reveal(inputs.create);
        const result = script
            ? await runCommand(script, runOptions(urn, "create", inputs))
            : { stdout: "", stderr: "" };
        const id = resourceName(urn) + crypto.randomBytes(4).toString("hex");
        return { id, outs: commandOutputs(inputs, result, "create") };
    },

    async read(id, urn, props) {
        const inputs = {};
        for (const k of COMMAND_INPUTS) if (props[k] !== undefined) inputs[k] = props[k];
        return { id, props, inputs };
    },

    async update(id, urn, olds, news) {
        const key = reveal(news.update) ? "update" : "create";
        const script = reveal(news[key]);
        if (!script) {
            return { outs: commandOutputs(news, { stdout: reveal(olds.stdout) ?? "", stderr: reveal(olds.stderr) ?? "" }, null) };
        }
        const result = await runCommand(script, runOptions(urn, key === "update" ? "update" : "update (create script)", news, previousOutputEnv(olds)));
        return { outs: commandOutputs(news, result, key) };
    },

    async delete(id, urn, props) {
        // Everything comes from the state: the old delete script with the old environment.
        const script = reveal(props.delete);
        if (!script) return;
        await runCommand(script, runOptions(urn, "delete", props, previousOutputEnv(props)));
    },

    async invoke(token, args) {
        if (token !== RUN_TOKEN) {
            throw new Error(`unknown function ${token}: the offline stand-in of pulumi-resource-command implements ${RUN_TOKEN} only`);
        }
        const failures = validate(args);
        const command = reveal(args.command);
        if (typeof command !== "string" || command === "") {
            failures.push({ property: "command", reason: "command is required" });
        }
        if (failures.length) return { outputs: {}, failures };
        const result = await runCommand(command, runOptions("", "run", args));
        const fromSecret = ["command", "environment", "stdin"].some((k) => containsSecret(args[k]));
        const outputs = {};
        for (const k of RUN_INPUTS) if (args[k] !== undefined) outputs[k] = args[k];
        outputs.stdout = fromSecret ? secret(result.stdout) : result.stdout;
        outputs.stderr = fromSecret ? secret(result.stderr) : result.stderr;
        return { outputs };
    },

    async cancel() {
        for (const child of running) child.kill("SIGTERM");
    },
};

providerServer.main(provider, process.argv.slice(2));
