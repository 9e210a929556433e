#!/usr/bin/env node
// pulumi-language-nodejs for the offline toolchain.
//
// Upstream's Go language host (module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
// is not served by the Go module proxy this toolchain can reach. This stand-in serves the same
// LanguageRuntime gRPC service, built only from pieces of the project's own @pulumi/pulumi:
// its gRPC stubs (proto/language_grpc_pb.js) and @grpc/grpc-js serve the protocol, and each Run
// starts the SDK's program runner (@pulumi/pulumi/cmd/run, which registers ts-node for TypeScript)
// exactly as the Go host does: `node <sdk>/cmd/run --monitor ... --engine ... [--dry-run] PROGRAM`
// with the stack configuration in PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS.
//
// `pulumi install` runs the package manager of the runtime option `packagemanager` (npm by default).
// Not implemented (the CLI treats UNIMPLEMENTED as "not supported"): plugin discovery from
// node_modules (GetRequiredPackages answers an empty list, like the SDK's own in-process server
// for inline programs; providers are then loaded on first use at the version the SDK asks for),
// `pulumi new` prompts, code generation, policy packs and component plugins.
"use strict";

const childProcess = require("child_process");
const path = require("path");

// Usage (as the CLI starts language plugins): pulumi-language-nodejs [-tracing URL] [-flag=v...] ENGINE_ADDRESS
let tracing = "";
let engineAddress = "";
for (let i = 2; i < process.argv.length; i++) {
    const arg = process.argv[i];
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(arg);
    if (!m) {
        engineAddress = arg;
    } else if (m[1] === "tracing") {
        tracing = m[2] !== undefined ? m[2] : process.argv[++i] || "";
    }
}

// The CLI starts language plugins in the project directory; the SDK comes from its node_modules.
function resolveFrom(dir, request) {
    return require.resolve(request, { paths: [dir] });
}
let sdkDir;
try {
    sdkDir = path.dirname(resolveFrom(process.cwd(), "@pulumi/pulumi/package.json"));
} catch (err) {
    console.error("It looks like the Pulumi SDK has not been installed. Have you run npm install or yarn install?");
    process.exit(1);
}
const grpc = require(resolveFrom(sdkDir, "@grpc/grpc-js"));
const services = require(path.join(sdkDir, "proto", "language_grpc_pb.js"));
const langproto = require(path.join(sdkDir, "proto", "language_pb.js"));
const plugproto = require(path.join(sdkDir, "proto", "plugin_pb.js"));
const emptyproto = require(resolveFrom(sdkDir, "google-protobuf/google/protobuf/empty_pb.js"));
const sdkVersion = require(path.join(sdkDir, "package.json")).version;

// Exit code of cmd/run after it already printed an actionable error: the engine should just bail.
const exitedAfterLoggingUserActionableMessage = 32;
const children = new Set();

function runtimeOptions(info) {
    const options = info && info.getOptions();
    return options ? options.toJavaScript() : {};
}

function run(call, callback) {
    const req = call.request;
    const info = req.getInfo();
    const programDir = (info && info.getProgramDirectory()) || req.getPwd() || process.cwd();
    const options = runtimeOptions(info);
    let runPath = process.env.PULUMI_LANGUAGE_NODEJS_RUN_PATH;
    try {
        runPath = runPath || resolveFrom(programDir, "@pulumi/pulumi/cmd/run");
    } catch (err) {
        callback(undefined, newRunResponse(
            "It looks like the Pulumi SDK has not been installed. Have you run npm install or yarn install?"));
        return;
    }

    const nodeargs = typeof options.nodeargs === "string" ? options.nodeargs.split(/\s+/).filter(Boolean) : [];
    const args = [...nodeargs, runPath];
    const flag = (name, value) => {
        if (value !== undefined && value !== null && `${value}` !== "") {
            args.push(`--${name}`, `${value}`);
        }
    };
    flag("monitor", req.getMonitorAddress());
    flag("engine", engineAddress);
    flag("organization", req.getOrganization());
    flag("project", req.getProject());
    flag("root-directory", info && info.getRootDirectory());
    flag("stack", req.getStack());
    flag("pwd", req.getPwd());
    if (req.getDryrun()) {
        args.push("--dry-run");
    }
    flag("parallel", req.getParallel());
    flag("tracing", tracing);
    args.push(req.getProgram() || ".", ...req.getArgsList());

    const config = {};
    for (const [k, v] of req.getConfigMap().entries()) {
        config[k] = v;
    }
    const env = {
        ...process.env,
        PULUMI_CONFIG: JSON.stringify(config),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
        PULUMI_NODEJS_TYPESCRIPT: options.typescript === false ? "false" : "true",
    };
    if (typeof options.tsconfig === "string" && options.tsconfig !== "") {
        env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;
    }

    // The program's output goes where ours goes: the CLI shows it as the program's output.
    const child = childProcess.spawn(process.execPath, args, {
        cwd: req.getPwd() || programDir,
        env,
        stdio: ["ignore", "inherit", "inherit"],
    });
    children.add(child);
    let answered = false;
    const answer = (error, bail) => {
        if (!answered) {
            answered = true;
            children.delete(child);
            callback(undefined, newRunResponse(error, bail));
        }
    };
    child.on("error", (err) => answer(`Problem executing program (could not run language executor): ${err.message}`));
    child.on("exit", (code, signal) => {
        if (code === 0) {
            answer("");
        } else if (code === exitedAfterLoggingUserActionableMessage) {
            answer("", true);
        } else if (code !== null) {
            answer(`Program exited with non-zero exit code: ${code}`);
        } else {
            answer(`Program exited unexpectedly: ${signal}`);
        }
    });
}

// InstallDependencies streams the package manager's output back to the CLI.
function installDependencies(call) {
    const req = call.request;
    const info = req.getInfo();
    const dir = (info && info.getProgramDirectory()) || req.getDirectory() || process.cwd();
    const manager = runtimeOptions(info).packagemanager || "npm";
    const child = childProcess.spawn(manager, ["install"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const forward = (setter) => (chunk) => {
        const resp = new langproto.InstallDependenciesResponse();
        resp[setter](chunk);
        call.write(resp);
    };
    child.stdout.on("data", forward("setStdout"));
    child.stderr.on("data", forward("setStderr"));
    child.on("error", (err) => call.destroy(new Error(`could not run ${manager}: ${err.message}`)));
    child.on("close", (code) => {
        if (code === 0) {
            call.end();
        } else {
            call.destroy(new Error(`${manager} install exited with code ${code}`));
        }
    });
}

function newRunResponse(error, bail) {
    const resp = new langproto.RunResponse();
    resp.setError(error || "");
    resp.setBail(!!bail);
    return resp;
}

const server = new grpc.Server({
    "grpc.max_receive_message_length": 400 * 1024 * 1024,
    "grpc.max_send_message_length": 400 * 1024 * 1024,
});
server.addService(services.LanguageRuntimeService, {
    handshake: (call, callback) => callback(undefined, new langproto.LanguageHandshakeResponse()),
    getPluginInfo: (call, callback) => {
        const resp = new plugproto.PluginInfo();
        resp.setVersion(sdkVersion);
        callback(undefined, resp);
    },
    getRequiredPlugins: (call, callback) => callback(undefined, new langproto.GetRequiredPluginsResponse()),
    getRequiredPackages: (call, callback) => callback(undefined, new langproto.GetRequiredPackagesResponse()),
    getProgramDependencies: (call, callback) => callback(undefined, new langproto.GetProgramDependenciesResponse()),
    about: (call, callback) => {
        const resp = new langproto.AboutResponse();
        resp.setExecutable(process.execPath);
        resp.setVersion(process.version.replace(/^v/, ""));
        callback(undefined, resp);
    },
    run,
    installDependencies,
    cancel: (call, callback) => {
        for (const child of children) {
            child.kill("SIGINT");
        }
        callback(undefined, new emptyproto.Empty());
    },
});
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
        console.error(`could not start language host RPC server: ${err.message}`);
        process.exit(1);
    }
    // The CLI reads the port from our first line of output.
    process.stdout.write(`${port}\n`);
});

const stop = () => {
    for (const child of children) {
        child.kill("SIGTERM");
    }
    server.forceShutdown();
    process.exit(0);
};
// The CLI closes a plugin with SIGINT and waits 5 s before SIGKILL: exit at once, or every
// command that loads the language host pays those 5 s (twice for a preview).
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
