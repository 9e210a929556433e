// @ts-check
// The policy pack `pulumi preview` and `pulumi up` run with `--policy-pack policy`: each rule
// is mandatory, so a finding stops the preview before anything changes. JavaScript, not
// TypeScript: the CLI's policy runner type-checks a .ts pack on every run.
"use strict";

const { PolicyPack } = require("@pulumi/policy");
const { policies } = require("./rules");

new PolicyPack("kube-demo", { enforcementLevel: "mandatory", policies });
