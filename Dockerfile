# The safewire command in a container. With the official .NET images (pulled from mcr.microsoft.com):
#   docker build -t safewire .
#   docker run -it --rm -p 10101:10101 safewire                 # a chat server; type help for the admin console
# safewire ships as one native executable (Native AOT): the build stage needs the .NET SDK and clang to link it, the
# final image needs no .NET runtime, only glibc, OpenSSL and CA certificates (the runtime-deps image).
#
# Without a registry (docs/DOCKER.md): build the native executable outside (scripts/publish-native.sh
# CONTEXT/docker-publish), take any base image with those libraries (scripts/docker-base-image.sh builds one from
# Debian packages), and pass both choices as build arguments:
#   DOCKER_BUILDKIT=1 docker build --build-arg BASE_IMAGE=safewire-base:bookworm --build-arg SAFEWIRE_BUILD=prebuilt \
#     -f Dockerfile -t safewire CONTEXT
# (BuildKit builds only the stages the image needs, so the SDK image is then never pulled.)
ARG BASE_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0
ARG SAFEWIRE_BUILD=sdk

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build-sdk
RUN apt-get update && apt-get install -y --no-install-recommends clang && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish src/SafeWire.Cli -c Release -o /app && rm -f /app/*.dbg /app/*.pdb

FROM scratch AS build-prebuilt
COPY docker-publish/safewire docker-publish/*.so /app/

FROM build-${SAFEWIRE_BUILD} AS build

FROM ${BASE_IMAGE}
WORKDIR /app
COPY --from=build /app /app
# Keys, certificates, known_hosts and the client registry live here; mount a volume to keep them.
ENV SAFEWIRE_HOME=/data
VOLUME /data
EXPOSE 10101
ENTRYPOINT ["/app/safewire"]
CMD ["serve", "--host", "0.0.0.0"]
