#!/usr/bin/env bats

load ./common

@test "Docker Hub ubuntu:12.04" {
    run_srun --container-image=ubuntu:12.04 grep 'Ubuntu precise' /etc/os-release
}

@test "Docker Hub ubuntu:14.04" {
    run_srun --container-image=ubuntu:14.04 grep 'Ubuntu 14.04' /etc/os-release
}

@test "Docker Hub ubuntu:16.04" {
    run_srun --container-image=ubuntu:16.04 grep 'Ubuntu 16.04' /etc/os-release
}

@test "Docker Hub ubuntu:18.04" {
    run_srun --container-image=ubuntu:18.04 grep 'Ubuntu 18.04' /etc/os-release
}

@test "Docker Hub ubuntu:20.04" {
    run_srun --container-image=ubuntu:20.04 grep 'Ubuntu 20.04' /etc/os-release
}

@test "Docker Hub ubuntu:22.04" {
    run_srun --container-image=ubuntu:22.04 grep 'Ubuntu 22.04' /etc/os-release
}

@test "Docker Hub ubuntu:24.04" {
    run_srun --container-image=ubuntu:24.04 grep 'Ubuntu 24.04' /etc/os-release
    # Test for https://github.com/NVIDIA/enroot/commit/f0552fb7ce3798d02e8838db2f9402aa2094b348
    run_srun --container-image=ubuntu:24.04 --container-remap-root bash -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tzdata'
}

@test "Docker Hub ubuntu:26.04" {
    run_srun --container-image=ubuntu:26.04 grep 'Resolute Raccoon' /etc/os-release
    # Test for https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=1114610
    # Also see https://github.com/linux-pam/linux-pam/issues/944
    run_srun --container-image=ubuntu:26.04 --container-remap-root \
             bash -c ' \
               echo "MY_LIST=1;2;3;4" >> /etc/environment && \
               apt-get update && \
               apt-get install -y --no-install-recommends install-info'
}

@test "Docker Hub docker.io/ubuntu:24.04" {
    run_srun --container-image=docker.io/ubuntu:24.04 grep 'Ubuntu 24.04' /etc/os-release
    run_srun --container-image=docker.io#ubuntu:24.04 grep 'Ubuntu 24.04' /etc/os-release
}

@test "Docker Hub centos:5" {
    run_srun --container-image=centos:5 grep 'CentOS release 5.11 (Final)' /etc/redhat-release
}

@test "Docker Hub centos:6" {
    run_srun --container-image=centos:6 grep 'CentOS release 6.10 (Final)' /etc/redhat-release
}

@test "Docker Hub centos:7" {
    run_srun --container-image=centos:7 grep 'CentOS Linux release 7.' /etc/redhat-release
}

@test "Docker Hub centos:8" {
    run_srun --container-image=centos:8 grep 'CentOS Linux release 8.' /etc/redhat-release
}

@test "nvcr.io PyTorch 20.02" {
    run_srun --container-image=nvcr.io#nvidia/pytorch:20.02-py3 sh -c 'echo $PYTORCH_VERSION'
    [ "${lines[-1]}" == "1.5.0a0+3bbb36e" ]
}

@test "nvcr.io PyTorch 22.04" {
    run_srun --container-image=nvcr.io#nvidia/pytorch:22.04-py3 sh -c 'echo $PYTORCH_VERSION'
    [ "${lines[-1]}" == "1.12.0a0+bd13bc6" ]
}

@test "gcr.io TensorFlow 2.9" {
    run_srun --no-container-mount-home --container-image=gcr.io#deeplearning-platform-release/tf-cpu.2-9 /entrypoint.sh python -c 'import tensorflow; print(tensorflow.__version__)'
    [[ "${lines[-1]}" == 2.9.* ]]
}

@test "gitlab.com NVIDIA device plugin" {
    run_srun --container-image=registry.gitlab.com#nvidia/kubernetes/device-plugin/k8s-device-plugin:1.0.0-beta4 md5sum /usr/bin/nvidia-device-plugin
    [ "${lines[-1]}" == "7d9c8e3e005c4bd2161def017f10f719  /usr/bin/nvidia-device-plugin" ]
}

@test "nvcr.io NVIDIA device plugin" {
    run_srun --container-image=nvcr.io#nvidia/k8s-device-plugin:v0.11.0 md5sum /usr/bin/nvidia-device-plugin
    [ "${lines[-1]}" == "78d5dfab092f182246d7e1aff420b770  /usr/bin/nvidia-device-plugin" ]
}

@test "image download must be attempted once" {
    run_srun_unchecked --ntasks=2 --container-image=thisimagedoesntexist true
    [ "${status}" -ne 0 ]
    attempts=$(grep -c 'failed to import docker image' <<< "${output}")
    [ "${attempts}" -eq 1 ]
    grep -q 'failed to import docker image: thisimagedoesntexist' <<< "${output}"
}

@test "docker:// explicit import" {
    run_srun --container-image docker://nvidia/cuda:11.8.0-base-ubuntu20.04 grep 'Ubuntu 20.04' /etc/os-release
}

@test "dockerd:// import" {
    if ! which docker; then
	skip "docker not installed"
    fi
    run_srun --container-image dockerd://nvidia/cuda:11.8.0-base-ubuntu22.04 grep 'Ubuntu 22.04' /etc/os-release
}

@test "Docker Hub rapidsai/devcontainers (zstd layers)" {
    run_srun --container-image=rapidsai/devcontainers@sha256:24127712aa9025dc0cc4c784a74f7c20633a0751ce49b0122ca8d80210c65345 grep 'Ubuntu 24.04' /etc/os-release
}
