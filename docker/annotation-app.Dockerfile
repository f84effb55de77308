# syntax=docker/dockerfile:1
#
# The annotation app (annotation-ui: Vaadin UI + REST API in one Spring Boot process).
# Build from the repository root (the compose file does this):
#   DOCKER_BUILDKIT=1 docker build -f docker/annotation-app.Dockerfile -t rlhf/annotation-app .
# BuildKit is required (cache mounts).

############################ build ############################
FROM eclipse-temurin:25-jdk AS build
WORKDIR /src

# The parent pom lists every module, so each module's pom.xml must exist for the reactor to load;
# only the modules annotation-ui needs (-am) are copied whole.
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY schemas/ schemas/
COPY feedback-service/ feedback-service/
COPY annotation-ui/ annotation-ui/
COPY trainer/pom.xml trainer/pom.xml

# ~/.m2 holds the Maven distribution the wrapper fetches and all dependencies; ~/.vaadin and ~/.npm
# hold the Node.js and npm packages Vaadin's production frontend build uses. They are cache mounts,
# so they persist between builds but never end up in an image layer.
RUN --mount=type=cache,target=/root/.m2 \
    --mount=type=cache,target=/root/.vaadin \
    --mount=type=cache,target=/root/.npm \
    chmod +x mvnw \
 && ./mvnw -B -q -DskipTests -pl annotation-ui -am package \
 && cp annotation-ui/target/annotation-ui.jar /annotation-ui.jar

############################ runtime ############################
FROM eclipse-temurin:25-jre

# eclipse-temurin:25-jre (Ubuntu 24.04) ships neither curl nor wget; curl is added for HEALTHCHECK.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*

# Non-root user (uid 10001: Ubuntu's image already has "ubuntu" as 1000). /data is created and
# chowned before VOLUME so a fresh named volume inherits the ownership.
RUN groupadd --system --gid 10001 rlhf \
 && useradd --system --uid 10001 --gid rlhf --home-dir /app --no-create-home --shell /usr/sbin/nologin rlhf \
 && mkdir -p /app /data \
 && chown rlhf:rlhf /data

COPY --from=build --chown=root:root /annotation-ui.jar /app/annotation-ui.jar

ENV RLHF_DATA_DIR=/data \
    LOGGING_STRUCTURED_FORMAT_CONSOLE=ecs \
    SERVER_SHUTDOWN=graceful \
    SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE=20s

VOLUME ["/data"]
WORKDIR /app
USER rlhf:rlhf
EXPOSE 8080

HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/actuator/health/readiness || exit 1

# Exec form: java is PID 1 and receives SIGTERM directly (graceful shutdown). Extra JVM flags go in
# JAVA_TOOL_OPTIONS (read by the JVM itself), e.g. JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=60".
ENTRYPOINT ["java", \
            "--enable-native-access=ALL-UNNAMED", \
            "--sun-misc-unsafe-memory-access=allow", \
            "-XX:MaxRAMPercentage=75", \
            "-XX:+ExitOnOutOfMemoryError", \
            "-jar", "/app/annotation-ui.jar"]
