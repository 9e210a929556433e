// Entry point of `pulumi up`: the stack (program.ts) and its outputs. An async program, as
// Pulumi runs one: its checks run side by side before anything is declared.
import { kubeDemo } from "./program";

// Stacks formatted by V8 alone: the source-map-support that Pulumi's runtime installs maps only its
// own compiled files, while every resource and promise captures a stack (0.1 s a run here).
Reflect.deleteProperty(Error, "prepareStackTrace");

export = async () => {
    const { url, urls, clusterName, kubeContext, image, kubeconfig, kubeconfigPath, namespace } = await kubeDemo();
    // Only the outputs of this target: an undefined one gets a warning at every preview and up.
    return {
        url, urls, kubeContext, image, namespace,
        ...(clusterName && { clusterName }), ...(kubeconfig && { kubeconfig }), ...(kubeconfigPath !== undefined && { kubeconfigPath }),
    };
};
