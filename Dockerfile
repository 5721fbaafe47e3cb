# Images for the Atlas silo host and HTTP API (docker-compose.yml builds both targets).
#   docker build --target silo -t atlas-silo .
#   docker build --target api  -t atlas-api  .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Atlas.Silo -c Release -o /out/silo \
 && dotnet publish src/Atlas.Api -c Release -o /out/api

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# curl for the API's health check.
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*

FROM runtime AS silo
WORKDIR /app
COPY --from=build /out/silo .
EXPOSE 11111
ENTRYPOINT ["dotnet", "Atlas.Silo.dll"]

FROM runtime AS api
WORKDIR /app
COPY --from=build /out/api .
EXPOSE 8085
ENTRYPOINT ["dotnet", "Atlas.Api.dll"]
