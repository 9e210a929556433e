// Entry point of `pulumi up`: the stack (program.ts) and its outputs.
import { kubeDemo } from "./program";

export const { url, clusterName, kubeContext, image, kubeconfig, namespace } = kubeDemo();
