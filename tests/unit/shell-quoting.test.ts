// Where a setting reaches a command line or a script, it goes as an environment variable or an
// element of an argument array, never into script text. Config validation refuses hostile
// values first (program.test.ts, config.test.ts); these tests bypass it and hand such values
// to the very scripts the program declares, to the load script and to tools/up.sh, with
// recording fakes of the tools they call: each value arrives as one argument, as it was given,
// and the marker file a shell would create from it never appears.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { at, CommandInputs, Declared, declaredOf, found, projectDir, ProgramRun, runProgram } from "../support/harness";

const marker = path.join(os.tmpdir(), `kube-demo-marker-${process.pid}-${Date.now()}`);
// Every folder these tests make is in this one, removed at the end.
const root = fs.mkdtempSync(path.join(os.tmpdir(), "kube-demo-quoting-"));
after(() => { fs.rmSync(root, { recursive: true, force: true }); });
const tempDir = (name: string) => fs.mkdtempSync(path.join(root, `${name}-`));
/** A value as a test's name shows it. */
const named = (value: string) => JSON.stringify(value).replaceAll(marker, "MARKER");
const noMarker = () => { assert.equal(fs.existsSync(marker), false, `${marker} was created: a value reached a shell as code`); };

/** Values that run `touch marker` (or write to it) if a shell ever reads them as code. */
const hostile = [
    `x;touch ${marker}`,
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `x\ntouch ${marker}`,
    `x|touch ${marker}`,
    `x&touch ${marker}`,
    `x'; touch ${marker}; '`,
    `x"; touch ${marker}; "`,
    `x>${marker}`,
    `-x * ?;touch ${marker} $HOME %s\\c`,
];

/**
 * A folder of fakes that record each call (tool and arguments) as a JSON line in `log` and
 * answer: kind lists FAKE_CLUSTERS and FAKE_NODES and prints a kubeconfig; docker volume
 * inspect prints FAKE_CLAIM_OWNER (no such volume when unset); kind create waits for the preload beside it; docker save fails (after a docker exec); pulumi has no config and prints a URL; everything else succeeds.
 */
function recordingTools(log: string, tools = ["kind", "docker", "node", "pulumi"]): string {
    const dir = tempDir("tools");
    const fake = `#!${process.execPath}
const fs = require("node:fs");
const tool = require("node:path").basename(process.argv[1]);
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify([tool, ...args]) + "\\n");
const call = [tool, ...args.slice(0, 2)].join(" ");
if (call === "kind get clusters") process.stdout.write(process.env.FAKE_CLUSTERS ?? "");
else if (call === "kind get nodes") process.stdout.write(process.env.FAKE_NODES ?? "");
else if (call === "kind get kubeconfig") process.stdout.write("apiVersion: v1\\n");
else if (tool === "docker" && args[0] === "exec" && args.includes("nodes")) {
    // kubectl get nodes in the control plane: FAKE_NODE_COUNT registered nodes.
    for (let i = 0; i < Number(process.env.FAKE_NODE_COUNT ?? 0); i++) console.log("node-" + i + " Ready");
}
else if (call === "kind create cluster" && process.env.PRELOAD_IMAGE) {
    // As a real kind create takes long enough for the preload beside it to start.
    const until = Date.now() + 10_000;
    while (Date.now() < until && !fs.readFileSync(${JSON.stringify(log)}, "utf8").includes('["node","runtime/load-image.js","--preload"')) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
}
else if (tool === "docker" && args[0] === "ps" && args.includes("--quiet")) process.stdout.write((String(args.at(-1)).startsWith("label=kube-demo.registry-of=") ? process.env.FAKE_REGISTRY_IDS : process.env.FAKE_NODE_IDS) ?? "");
else if (tool === "docker" && args[0] === "inspect" && String(args[2]).includes(".Mounts")) process.stdout.write(process.env.FAKE_NODE_VOLUMES ?? "");
else if (call === "docker volume inspect") {
    if (process.env.FAKE_CLAIM_OWNER === undefined) process.exit(1);
    console.log(process.env.FAKE_CLAIM_OWNER);
}
else if (call === "pulumi config get") process.exit(1);
else if (call === "pulumi stack output") console.log("http://127.0.0.1:8080");
else if (tool === "docker" && args[0] === "save") {
    // Fails once a docker exec was recorded: the load script asks the nodes while it saves.
    const until = Date.now() + 10_000;
    while (Date.now() < until && !fs.readFileSync(${JSON.stringify(log)}, "utf8").includes('["docker","exec"')) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
    console.error("Error: No such image");
    process.exit(1);
}
`;
    for (const tool of tools) {
        fs.writeFileSync(path.join(dir, tool), fake, { mode: 0o755 });
    }
    return dir;
}

/** The calls the fakes recorded. */
const calls = (log: string): string[][] =>
    fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as string[]) : [];

const newLog = () => path.join(tempDir("log"), "calls.jsonl");

describe("the program's commands take settings only as environment variables", () => {
    // Valid values no script text contains by chance.
    const canary = { clusterName: "canary-cluster", imageName: "canary/app", nodeImage: "canary/node:v9", baseImage: "canary/base:9" };
    let run: ProgramRun;
    let commands: Declared<CommandInputs>[];
    before(async () => {
        run = await runProgram(canary);
        assert.equal(run.error, undefined);
        commands = declaredOf(run, "command:local:Command");
    });

    const command = (script: string) => {
        const found = commands.find((d) => [d.inputs.create, d.inputs.update, d.inputs.delete].some((s) => s?.includes(script)));
        assert.ok(found, `a command runs ${script}`);
        return found.inputs;
    };

    test("no command's script text holds a setting's value; the cluster's name and the image reach them as variables", () => {
        assert.ok(commands.length >= 2);
        for (const { name, inputs } of commands) {
            for (const script of [inputs.create, inputs.update, inputs.delete].filter((s): s is string => Boolean(s))) {
                for (const value of Object.values(canary)) {
                    assert.ok(!script.includes(value), `${name}'s script text holds ${value}`);
                }
            }
            // The provider's default shell (/bin/sh -c), which reads the text as code; Node.js
            // code is a script file under runtime/, never text passed to node -e.
            assert.equal(inputs.interpreter, undefined, name);
        }
        const cluster = command("kind create cluster");
        assert.equal(cluster.environment.CLUSTER_NAME, "canary-cluster");
        assert.equal(cluster.update, 'kind get kubeconfig --name "$CLUSTER_NAME"');
        assert.match(found(cluster.delete, "the delete script"), /^kind delete cluster --name "\$CLUSTER_NAME"$/m);
        const load = command(`node runtime/load-image.js "$IMAGE"`);
        assert.equal(load.create, 'node runtime/load-image.js "$IMAGE" "$CLUSTER_NAME"');
        assert.match(found(load.environment.IMAGE, "IMAGE"), /^canary\/app:[0-9a-f]{16}$/);
        assert.equal(load.environment.CLUSTER_NAME, "canary-cluster");
    });

    /** The text of a script or of stdin, which the test knows is there. */
    const text = (value: unknown): string => {
        assert.ok(typeof value === "string", "a text");
        return value;
    };

    /** Runs `script` as the command provider does (/bin/sh -c, the declared environment) with `env` on top. */
    const sh = (script: unknown, inputs: CommandInputs, env: Record<string, string>, log: string, stdin = "") =>
        spawnSync("/bin/sh", ["-c", text(script)], {
            cwd: tempDir("cwd"),
            env: { ...inputs.environment, PATH: `${recordingTools(log)}:/usr/bin:/bin`, ...env },
            input: stdin, encoding: "utf8",
        });

    for (const value of hostile) {
        test(`the cluster's create, update and delete pass the name ${named(value)} to kind as one argument`, () => {
            const cluster = command("kind create cluster");
            const log = newLog();
            const env = { CLUSTER_NAME: value, OWNER: value };
            assert.equal(cluster.environment.NODE_COUNT, "1");
            // Three nodes, all registered: one look at them.
            const created = sh(cluster.create, cluster, { ...env, PRELOAD_IMAGE: value, NODE_COUNT: "3", FAKE_NODE_COUNT: "3", FAKE_CLUSTERS: "other\nkube-demo\n" }, log, text(cluster.stdin));
            assert.equal(created.status, 0, created.stderr);
            assert.equal(sh(cluster.update, cluster, env, log).status, 0);
            const nodes = { FAKE_NODE_IDS: "n1\nn2\n", FAKE_REGISTRY_IDS: "r1\n", FAKE_NODE_VOLUMES: "v1\n\nv2\n" };
            assert.equal(sh(cluster.delete, cluster, { ...env, ...nodes, FAKE_CLAIM_OWNER: value }, log).status, 0);
            // The nodes' volumes go after the delete returns, removed by a process node detaches.
            const volumesRemoved = (call: string[]) => call[0] === "node" && call[1] === "-e" && call.slice(3).join(" ") === "-- v1 v2";
            const claim = `kube-demo-claim-${value}`;
            const ownerOfClaim = ["docker", "volume", "inspect", "--format", '{{index .Labels "kube-demo.owner"}}', claim];
            // The preload runs beside kind create: its place among the calls varies.
            assert.deepEqual(calls(log).filter((call) => call[0] === "node" && call[1] === "runtime/load-image.js"), [["node", "runtime/load-image.js", "--preload", value, value, "3"]]);
            assert.deepEqual(calls(log).filter((call) => call[0] !== "node"), [
                ["kind", "get", "clusters"],
                ["docker", "volume", "rm", "--force", claim],
                ["docker", "volume", "create", "--label", `kube-demo.owner=${value}`, claim],
                ["kind", "create", "cluster", "--name", value, "--config", "-"],
                ["docker", "exec", `${value}-control-plane`, "kubectl", "--kubeconfig=/etc/kubernetes/admin.conf", "get", "nodes", "--no-headers"],
                ["kind", "get", "kubeconfig", "--name", value],
                ["kind", "get", "kubeconfig", "--name", value],
                ["docker", "ps", "--all", "--quiet", "--filter", `label=io.x-k8s.kind.cluster=${value}`],
                ["docker", "ps", "--all", "--quiet", "--filter", `label=kube-demo.registry-of=${value}`],
                ["docker", "inspect", "--format", '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}}{{"\\n"}}{{end}}{{end}}', "n1", "n2", "r1"],
                ["docker", "rm", "--force", "n1", "n2", "r1"],
                ["kind", "delete", "cluster", "--name", value],
                ownerOfClaim,
                ["docker", "volume", "rm", claim],
            ]);
            assert.equal(calls(log).filter(volumesRemoved).length, 1);
            assert.match(at(calls(log).filter(volumesRemoved), 0)[2] ?? "", /spawn\("docker", \["volume", "rm", \.\.\.process\.argv\.slice\(1\)\], \{ detached: true/);
            noMarker();
        });

        test(`the load command passes the image and cluster ${named(value)} to the load script as two arguments`, () => {
            const load = command(`node runtime/load-image.js "$IMAGE"`);
            const log = newLog();
            const result = sh(load.create, load, { IMAGE: `${value}:tag`, CLUSTER_NAME: value }, log);
            assert.equal(result.status, 0, result.stderr);
            assert.deepEqual(calls(log), [["node", "runtime/load-image.js", `${value}:tag`, value]]);
            noMarker();
        });
    }

    test("a cluster of that name that exists is refused with its name as given; a '.' in a name matches only a '.'", () => {
        const cluster = command("kind create cluster");
        for (const value of hostile.filter((v) => !v.includes("\n"))) {
            // Unclaimed, or claimed by another stack, or by nobody named: refused, untouched.
            const claims: [Record<string, string>, string][] = [[{}, value], [{ FAKE_CLAIM_OWNER: "another stack" }, value], [{ FAKE_CLAIM_OWNER: "" }, ""]];
            for (const [claim, owner] of claims) {
                const log = newLog();
                const refused = sh(cluster.create, cluster, { CLUSTER_NAME: value, OWNER: owner, FAKE_CLUSTERS: `other\n${value}\n`, ...claim }, log, text(cluster.stdin));
                assert.equal(refused.status, 1, `${JSON.stringify(claim)} ${owner} ${refused.stderr}`);
                assert.equal(refused.stderr, `A kind cluster named '${value}' already exists and this stack did not create it; it is left untouched. Delete it yourself (kind delete cluster --name ${value}) or choose another name (pulumi config set clusterName NAME).\n`);
                assert.ok(calls(log).every((call) => call[0] === "kind" ? call[1] === "get" : call[2] === "inspect"), JSON.stringify(calls(log)));
            }
            // Claimed by this stack: an interrupted create of its own, deleted and made anew.
            const log = newLog();
            const redone = sh(cluster.create, cluster, { CLUSTER_NAME: value, OWNER: value, FAKE_CLUSTERS: `${value}\n`, FAKE_CLAIM_OWNER: value }, log, text(cluster.stdin));
            assert.equal(redone.status, 0, redone.stderr);
            assert.equal(redone.stderr, `The kind cluster '${value}' is one this stack began to create in an update that was interrupted; deleting it to create it anew.\n`);
            assert.deepEqual(calls(log).filter((call) => call[0] === "kind").map((call) => call.slice(0, 4)), [
                ["kind", "get", "clusters"], ["kind", "delete", "cluster", "--name"], ["kind", "create", "cluster", "--name"], ["kind", "get", "kubeconfig", "--name"],
            ]);
        }
        // grep -F: "team.demo" is not "teamxdemo".
        const log = newLog();
        const created = sh(cluster.create, cluster, { CLUSTER_NAME: "team.demo", FAKE_CLUSTERS: "teamxdemo\n" }, log, text(cluster.stdin));
        assert.equal(created.status, 0, created.stderr);
        assert.deepEqual(calls(log).find((call) => call[1] === "create" && call[0] === "kind"), ["kind", "create", "cluster", "--name", "team.demo", "--config", "-"]);
        noMarker();
    });
});

describe("runtime/load-image.js passes the image, the cluster and the nodes as single arguments", () => {
    for (const value of hostile) {
        test(named(value), () => {
            const log = newLog();
            // A Docker container name is [a-zA-Z0-9][a-zA-Z0-9_.-]*: a node's name holds no metacharacter.
            const node = "hostile-control-plane";
            const result = spawnSync(process.execPath, [path.join(projectDir, "runtime", "load-image.js"), value, value], {
                cwd: tempDir("cwd"),
                env: { ...process.env, PATH: `${recordingTools(log, ["kind", "docker"])}:/usr/bin:/bin`, FAKE_NODES: `${node}\n` },
                encoding: "utf8",
            });
            assert.equal(result.status, 1);
            assert.match(result.stderr, /^loading .* into kind cluster .* failed: docker save .* failed \(exit 1\): Error: No such image\n$/s);
            const recorded = calls(log);
            // docker save and kind start at once: their order varies.
            assert.deepEqual(recorded.filter((c) => c[0] === "kind"), [["kind", "get", "nodes", "--name", value]]);
            // "--": an image starting with "-" is still the image.
            assert.deepEqual(recorded.find((c) => c[1] === "save"), ["docker", "save", "--", value]);
            // The script docker exec runs in the node is constant text.
            assert.deepEqual(recorded.filter((c) => c[1] === "exec"), [["docker", "exec", node, "sh", "-c",
                "containerd config dump && echo '#--- content ---' && ctr --namespace=k8s.io content ls --quiet && echo '#--- content ---' && ctr --namespace=k8s.io images ls"]]);
            assert.deepEqual(recorded.find((c) => c[1] === "image"), ["docker", "image", "inspect", "--format", "{{.Id}}", "--", value]);
            noMarker();
        });
    }
});

/** A folder with tools/up.sh and what it runs beside `pulumi` (recover-interrupted.js, which reads Pulumi.yaml; policy-findings.js). */
function upProject(name: string): string {
    const project = tempDir(name);
    fs.mkdirSync(path.join(project, "tools"));
    fs.mkdirSync(path.join(project, "runtime"));
    fs.mkdirSync(path.join(project, "node_modules"));
    for (const file of ["tools/up.sh", "tools/recover-interrupted.js", "tools/policy-findings.js", "runtime/as-type.js", "Pulumi.yaml"]) {
        fs.copyFileSync(path.join(projectDir, file), path.join(project, file));
    }
    return project;
}

/** Runs tools/up.sh in `project` with fake kind, docker and pulumi: its result and the `pulumi` calls, arguments only. */
function runUp(project: string, args: string[], env: Record<string, string>) {
    const log = newLog();
    const result = spawnSync("bash", [path.join(project, "tools", "up.sh"), ...args], {
        cwd: project,
        env: {
            PATH: `${recordingTools(log, ["kind", "docker", "pulumi"])}:/usr/bin:/bin`,
            HOME: project,
            KUBE_DEMO_TOOLCHAIN: path.join(project, "no-toolchain"),
            ...env,
        },
        encoding: "utf8",
    });
    return { result, pulumi: calls(log).filter(([tool]) => tool === "pulumi").map(([, ...rest]) => rest) };
}

/** Writes the checkpoint a file backend at `stateDir` keeps for `stack`, with the stack's url output. */
function checkpoint(stateDir: string, stack: string, url: string): void {
    const dir = path.join(stateDir, ".pulumi", "stacks", "kube-demo");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${stack}.json`), JSON.stringify({
        version: 3,
        checkpoint: {
            stack: `organization/kube-demo/${stack}`,
            latest: {
                resources: [{
                    urn: `urn:pulumi:${stack}::kube-demo::pulumi:pulumi:Stack::kube-demo-${stack}`,
                    type: "pulumi:pulumi:Stack",
                    outputs: { url, kubeconfig: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "x" } },
                }],
            },
        },
    }));
}

describe("tools/up.sh sets the toolchain's images as single arguments to pulumi config set", () => {
    test("whatever KIND_NODE_IMAGE and NODE_BASE_IMAGE hold (spaces, globs, metacharacters, a leading '-')", () => {
        const project = upProject("up");
        const [nodeImage, baseImage] = [at(hostile, hostile.length - 1), `${hostile[1]} ${hostile[2]} ${hostile[6]}`];
        const { result, pulumi } = runUp(project, ["--diff"], { KIND_NODE_IMAGE: nodeImage, NODE_BASE_IMAGE: baseImage });
        assert.equal(result.status, 0, result.stderr);
        // No stack yet: created; no setting in its file: both set. The fake keeps no
        // checkpoint, so the URL comes from the CLI.
        assert.deepEqual(pulumi, [
            ["stack", "select", "dev", "--create"],
            ["config", "set", "--stack", "dev", "--", "nodeImage", nodeImage],
            ["config", "set", "--stack", "dev", "--", "baseImage", baseImage],
            ["up", "--yes", "--policy-pack", "policy", "--stack", "dev", "--diff"],
            ["stack", "output", "url", "--stack", "dev"],
        ]);
        assert.ok(result.stdout.includes(`Using the toolchain's ${nodeImage} as nodeImage\n`), result.stdout);
        assert.ok(result.stdout.endsWith("The app answers at http://127.0.0.1:8080\n"), result.stdout);
        noMarker();
    });
});

describe("tools/up.sh passes KUBE_DEMO_STACK to pulumi as one argument", () => {
    for (const value of hostile) {
        test(named(value), () => {
            const project = upProject("up-stack");
            const { result, pulumi } = runUp(project, [], { KUBE_DEMO_STACK: value });
            assert.equal(result.status, 0, result.stderr);
            assert.deepEqual(pulumi, [
                ["stack", "select", value, "--create"],
                ["preview", "--json", "--policy-pack", "policy", "--stack", value],
                ["up", "--yes", "--skip-preview", "--policy-pack", "policy", "--stack", value],
                ["stack", "output", "url", "--stack", value],
            ]);
            noMarker();
        });
    }
});

describe("tools/up.sh on a stack that is there runs one pulumi command", () => {
    const images = { KIND_NODE_IMAGE: "kube-demo/kind-node:v1", NODE_BASE_IMAGE: "kube-demo/node-base:20" };

    test("its checkpoint and settings there: only `pulumi up` with the policy pack, the URL read from the checkpoint", () => {
        const project = upProject("up-there");
        checkpoint(path.join(project, ".pulumi-state"), "dev", "http://127.0.0.1:18080");
        fs.writeFileSync(path.join(project, "Pulumi.dev.yaml"), "config:\n  kube-demo:nodeImage: kube-demo/kind-node:v1\n  kube-demo:baseImage: 'kube-demo/node-base:20'\n");
        const { result, pulumi } = runUp(project, [], images);
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(pulumi, [
            ["preview", "--json", "--policy-pack", "policy", "--stack", "dev"],
            ["up", "--yes", "--skip-preview", "--policy-pack", "policy", "--stack", "dev"],
        ]);
        assert.equal(result.stdout, "Previewing with the policy pack (policy/)\n\nThe app answers at http://127.0.0.1:18080\n");

        // Passed once: the next run skips the preview pass until the program, a setting or the pack changes.
        for (const dir of ["app", "policy"]) fs.mkdirSync(path.join(project, dir));
        assert.deepEqual(runUp(project, [], images).pulumi, [["up", "--yes", "--skip-preview", "--policy-pack", "policy", "--stack", "dev"]]);
        fs.appendFileSync(path.join(project, "app", "server.js"), "// an app edit: the pack judges nothing new\n");
        assert.deepEqual(runUp(project, [], images).pulumi, [["up", "--yes", "--skip-preview", "--policy-pack", "policy", "--stack", "dev"]]);
        const previewed = [
            ["preview", "--json", "--policy-pack", "policy", "--stack", "dev"],
            ["up", "--yes", "--skip-preview", "--policy-pack", "policy", "--stack", "dev"],
        ];
        fs.appendFileSync(path.join(project, "Pulumi.dev.yaml"), "  kube-demo:replicas: \"5\"\n");
        assert.deepEqual(runUp(project, [], images).pulumi, previewed);
        fs.appendFileSync(path.join(project, "policy", "rules.js"), "// a new rule\n");
        assert.deepEqual(runUp(project, [], images).pulumi, previewed);
        // Flags are `pulumi up`'s: it runs its own preview pass with them.
        fs.appendFileSync(path.join(project, "policy", "rules.js"), "// another rule\n");
        assert.deepEqual(runUp(project, ["--diff"], images).pulumi, [["up", "--yes", "--policy-pack", "policy", "--stack", "dev", "--diff"]]);
    });

    test("an empty setting counts as unset; a setting of another key does not count", () => {
        const project = upProject("up-empty");
        checkpoint(path.join(project, ".pulumi-state"), "dev", "http://127.0.0.1:18080");
        fs.writeFileSync(path.join(project, "Pulumi.dev.yaml"), 'config:\n  kube-demo:nodeImage: ""\n  kube-demo:baseImageX: other\n');
        const { result, pulumi } = runUp(project, [], images);
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(pulumi, [
            ["config", "set", "--stack", "dev", "--", "nodeImage", images.KIND_NODE_IMAGE],
            ["config", "set", "--stack", "dev", "--", "baseImage", images.NODE_BASE_IMAGE],
            ["preview", "--json", "--policy-pack", "policy", "--stack", "dev"],
            ["up", "--yes", "--skip-preview", "--policy-pack", "policy", "--stack", "dev"],
        ]);
    });

    test("KUBE_DEMO_STACK names the stack; a backend at an absolute path, as the tests' project copies have, is read there", () => {
        const project = upProject("up-other");
        const stateDir = path.join(project, "state");
        fs.writeFileSync(path.join(project, "Pulumi.yaml"),
            fs.readFileSync(path.join(project, "Pulumi.yaml"), "utf8").replace("url: file://./.pulumi-state", `url: file://${stateDir}`));
        checkpoint(stateDir, "e2e-abc123", "http://127.0.0.1:28080");
        fs.writeFileSync(path.join(project, "Pulumi.e2e-abc123.yaml"), "config:\n  kube-demo:nodeImage: a\n  kube-demo:baseImage: b\n");
        const { result, pulumi } = runUp(project, [], { ...images, KUBE_DEMO_STACK: "e2e-abc123" });
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(pulumi, [
            ["preview", "--json", "--policy-pack", "policy", "--stack", "e2e-abc123"],
            ["up", "--yes", "--skip-preview", "--policy-pack", "policy", "--stack", "e2e-abc123"],
        ]);
        assert.equal(result.stdout, "Previewing with the policy pack (policy/)\n\nThe app answers at http://127.0.0.1:28080\n");
        // The dev stack's backend was not made in passing.
        assert.equal(fs.existsSync(path.join(project, ".pulumi-state")), false);
    });
});

describe("tools/up.sh without the Pulumi CLI", () => {
    test("says so in one line and runs nothing else; kind and Docker are the program's to check", () => {
        const project = tempDir("up-no-pulumi");
        fs.mkdirSync(path.join(project, "tools"));
        fs.copyFileSync(path.join(projectDir, "tools/up.sh"), path.join(project, "tools/up.sh"));
        const log = newLog();
        const result = spawnSync("bash", [path.join(project, "tools", "up.sh")], {
            cwd: project,
            env: { PATH: `${recordingTools(log, ["kind", "docker", "npm"])}:/usr/bin:/bin`, HOME: project, KUBE_DEMO_TOOLCHAIN: path.join(project, "no-toolchain") },
            encoding: "utf8",
        });
        assert.equal(result.status, 1);
        assert.equal(result.stderr, "Missing: the Pulumi CLI (https://www.pulumi.com/docs/install/); on a machine without internet access run: npm run toolchain\n");
        assert.deepEqual(calls(log), []);
    });
});
