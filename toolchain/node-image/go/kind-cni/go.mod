module kube-demo.local/kind-cni

go 1.22
