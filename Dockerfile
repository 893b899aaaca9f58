# The safewire command in a container (seed M.6). Build: docker build -t safewire .
# safewire ships as one native executable (Native AOT): the build stage needs clang to link it, the final image
# needs no .NET runtime, only the native dependencies (runtime-deps: OpenSSL, glibc).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update && apt-get install -y --no-install-recommends clang && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish src/SafeWire.Cli -c Release -o /app && rm -f /app/*.dbg /app/*.pdb

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
WORKDIR /app
COPY --from=build /app .
# Keys, certificates, known_hosts and the client registry live here; mount a volume to keep them.
ENV SAFEWIRE_HOME=/data
VOLUME /data
EXPOSE 10101
ENTRYPOINT ["/app/safewire"]
CMD ["serve", "--host", "0.0.0.0"]
