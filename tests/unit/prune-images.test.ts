// runtime/prune-images.js: which of a node's images the stack removes. The removal itself, from
// real nodes and Docker, is in the e2e suite (multi-node.test.ts).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseNodeListing, prunableRefs, splitTag } from "../../runtime/prune-images.js";

const repo = "docker.io/library/node-app";
const loaded = "io.cri-containerd.image=managed,kube-demo.image-id=sha256:11514ca900ab";

/** `ctr images ls` and `ctr containers ls` output, as one `docker exec` prints them. */
function listing(images: [ref: string, labels: string][], containers: string[]): string {
    return [
        "REF TYPE DIGEST SIZE PLATFORMS LABELS",
        ...images.map(([ref, labels]) => `${ref} application/vnd.oci.image.manifest.v1+json sha256:9099 99.7 MiB linux/amd64 ${labels}`),
        "#--- containers ---",
        "CONTAINER IMAGE RUNTIME",
        ...containers.map((image, i) => `${String(i).repeat(8)} ${image} io.containerd.runc.v2`),
    ].join("\n");
}

describe("the images a node gives up", () => {
    const node = parseNodeListing(listing([
        [`${repo}:0c4a00e4376c7b04`, loaded], // runs
        [`${repo}:a7729755f718a71a`, loaded], // ran before: removed
        [`${repo}:05117d45cb26958a`, loaded], // just loaded: kept
        [`${repo}:v1`, "io.cri-containerd.image=managed"], // the user's own tag
        [`${repo}:d0f994d07b76a720`, "io.cri-containerd.image=managed"], // a content tag the stack did not load
        ["docker.io/library/other-app:1c171cb9570692a0", loaded], // another repository
        ["registry.k8s.io/pause:3.10.1", "io.cri-containerd.image=managed,io.cri-containerd.pinned=pinned"],
    ], [`${repo}:0c4a00e4376c7b04`, "registry.k8s.io/pause:3.10.1"]));

    test("only the stack's loaded content tags of its repository that nothing runs and nobody keeps", () => {
        assert.deepEqual(prunableRefs(node, repo, new Set([`${repo}:05117d45cb26958a`])), [`${repo}:a7729755f718a71a`]);
    });

    test("an image a container uses stays, even when not kept", () => {
        assert.ok(!prunableRefs(node, repo, new Set()).includes(`${repo}:0c4a00e4376c7b04`));
    });

    test("kept images stay", () => {
        assert.deepEqual(prunableRefs(node, repo, new Set([`${repo}:05117d45cb26958a`, `${repo}:a7729755f718a71a`])), []);
    });

    test("an empty node gives up nothing", () => {
        assert.deepEqual(prunableRefs(parseNodeListing(listing([], [])), repo, new Set()), []);
    });
});

describe("repository and tag", () => {
    test("split at the tag's colon, not a registry port's", () => {
        assert.deepEqual(splitTag("localhost:5001/node-app:0c4a00e4376c7b04"), { repository: "localhost:5001/node-app", tag: "0c4a00e4376c7b04" });
        assert.deepEqual(splitTag("localhost:5001/node-app"), { repository: "localhost:5001/node-app", tag: "" });
        assert.deepEqual(splitTag("node-app:v1"), { repository: "node-app", tag: "v1" });
    });
});
