// Entry point of `pulumi up`: the stack (program.ts) and its outputs. An async program, as
// Pulumi runs one: its checks run side by side before anything is declared.
import { kubeDemo } from "./program";

export = async () => {
    const { url, clusterName, kubeContext, image, kubeconfig, kubeconfigPath, namespace } = await kubeDemo();
    return { url, clusterName, kubeContext, image, kubeconfig, kubeconfigPath, namespace };
};
