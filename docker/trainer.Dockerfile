# syntax=docker/dockerfile:1
#
# The trainer (trainer/target/trainer.jar, `serve` = the Kafka-driven trainer service).
# Build from the repository root (the compose file does this):
#   DOCKER_BUILDKIT=1 docker build -f docker/trainer.Dockerfile -t rlhf/trainer .              # GPU (default)
#   DOCKER_BUILDKIT=1 docker build -f docker/trainer.Dockerfile --target cpu -t rlhf/trainer:cpu .
# BuildKit is required (cache mounts).
#
# Stages: build -> cpu (small Temurin JRE image, DJL's CPU libtorch bundled in the shaded jar)
#               -> gpu (last stage, so the default: PyTorch 2.7.1 CUDA 12.8 image + Temurin 25 JRE).

ARG PYTORCH_IMAGE=pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime

############################ build ############################
FROM eclipse-temurin:25-jdk AS build
WORKDIR /src

# The parent pom lists every module, so each module's pom.xml must exist for the reactor to load;
# only the modules the trainer needs (-am) are copied whole.
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY schemas/ schemas/
COPY trainer/ trainer/
COPY feedback-service/pom.xml feedback-service/pom.xml
COPY annotation-ui/pom.xml annotation-ui/pom.xml

RUN --mount=type=cache,target=/root/.m2 \
    chmod +x mvnw \
 && ./mvnw -B -q -DskipTests -pl trainer -am package \
 && cp trainer/target/trainer.jar /trainer.jar

############################ cpu ############################
FROM eclipse-temurin:25-jre AS cpu

RUN groupadd --system --gid 10001 rlhf \
 && useradd --system --uid 10001 --gid rlhf --create-home --home-dir /home/rlhf --shell /usr/sbin/nologin rlhf \
 && mkdir -p /app /models \
 && chown rlhf:rlhf /models

COPY --from=build --chown=root:root /trainer.jar /app/trainer.jar

# DJL extracts its JNI/native libraries here on first use; it must be writable by the user.
ENV DJL_CACHE_DIR=/home/rlhf/.djl.ai
VOLUME ["/models"]
WORKDIR /models
USER rlhf:rlhf

# Exec form: java is PID 1 and receives SIGTERM (the service commits its offsets and stops).
# Extra JVM flags: JAVA_TOOL_OPTIONS.
ENTRYPOINT ["java", \
            "--enable-native-access=ALL-UNNAMED", \
            "--sun-misc-unsafe-memory-access=allow", \
            "-Dai.djl.offline=true", \
            "-XX:MaxRAMPercentage=75", \
            "-jar", "/app/trainer.jar"]
CMD ["serve"]

############################ gpu (default) ############################
FROM ${PYTORCH_IMAGE} AS gpu

# Temurin 25 JRE copied from the official image (the PyTorch image is Ubuntu 22.04, glibc 2.35,
# which the Temurin build supports).
COPY --from=eclipse-temurin:25-jre /opt/java/openjdk /opt/java/openjdk
ENV JAVA_HOME=/opt/java/openjdk \
    PATH=/opt/java/openjdk/bin:$PATH \
    LANG=C.UTF-8

# ASSUMPTION: the official pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime image installs Python 3.11
# under /opt/conda (its Dockerfile's PYTHON_VERSION=3.11) and torch from the cu128 pip wheel, so
# libtorch (libtorch.so, libtorch_cuda.so, libc10.so, ...) lies in
#   /opt/conda/lib/python3.11/site-packages/torch/lib
# and the CUDA/cuDNN libraries it needs are found through the wheel's RPATH (site-packages/nvidia/*).
# The RUN below fails the build, printing the real folder, if a rebuilt base image moves it.
# The base image sets PYTORCH_VERSION itself; it is pinned here to what DJL 0.35.1's JNI expects.
ENV PYTORCH_LIBRARY_PATH=/opt/conda/lib/python3.11/site-packages/torch/lib \
    PYTORCH_FLAVOR=cu128 \
    PYTORCH_VERSION=2.7.1 \
    DJL_CACHE_DIR=/home/rlhf/.djl.ai

RUN set -eu; \
    if [ ! -f "$PYTORCH_LIBRARY_PATH/libtorch.so" ]; then \
      echo "libtorch.so not found in PYTORCH_LIBRARY_PATH=$PYTORCH_LIBRARY_PATH; torch is at:" >&2; \
      python -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' >&2 || true; \
      exit 1; \
    fi; \
    java -version; \
    groupadd --system --gid 10001 rlhf; \
    useradd --system --uid 10001 --gid rlhf --create-home --home-dir /home/rlhf --shell /usr/sbin/nologin rlhf; \
    mkdir -p /app /models; \
    chown rlhf:rlhf /models

COPY --from=build --chown=root:root /trainer.jar /app/trainer.jar

VOLUME ["/models"]
WORKDIR /models
USER rlhf:rlhf

ENTRYPOINT ["java", \
            "--enable-native-access=ALL-UNNAMED", \
            "--sun-misc-unsafe-memory-access=allow", \
            "-Dai.djl.offline=true", \
            "-XX:MaxRAMPercentage=75", \
            "-jar", "/app/trainer.jar"]
CMD ["serve"]
