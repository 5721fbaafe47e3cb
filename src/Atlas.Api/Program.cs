using Atlas.Api.Admin;
using Atlas.Api.Auth;
using Atlas.Api.Console;
using Atlas.Api.Drivers;
using Atlas.Api.Hosting;
using Atlas.Api.Operations;
using Atlas.Api.Positions;
using Atlas.Api.Rides;
using Atlas.Api.Wallets;

var builder = WebApplication.CreateBuilder(args);

builder.AddAtlasPlatform();   // the silo (embedded) or cluster client, grains and storage: Hosting/PlatformComposition.cs
builder.AddAtlasApi();        // JSON, problem details, auth, rate limits, OpenAPI, health, metrics
builder.AddAtlasPositionStream(); // gRPC: drivers' positions on one call (Positions/), on a port of its own
builder.AddAtlasConsole();        // the dispatcher console at /console, fed by the platform's live feed (Console/)

var app = builder.Build();

app.UseAtlasApi();
app.MapOperationsApi();
app.MapAuthApi();
app.MapCustomerApi();
app.MapDriverApi();
app.MapWalletApi();
app.MapAdminApi();
app.MapAtlasPositionStream();
app.MapAtlasConsole();
app.MapOrleansDashboardForAdmins();

app.Run();

/// <summary>The entry point, public for <c>WebApplicationFactory</c> in tests and benchmarks.</summary>
public partial class Program;
