# The safewire command in a container (seed M.6). Build: docker build -t safewire .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/SafeWire.Cli -c Release -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /app .
# Keys, certificates, known_hosts and the client registry live here; mount a volume to keep them.
ENV SAFEWIRE_HOME=/data
VOLUME /data
EXPOSE 10101
ENTRYPOINT ["dotnet", "/app/safewire.dll"]
CMD ["serve", "--host", "0.0.0.0"]
