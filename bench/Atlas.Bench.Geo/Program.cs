using Atlas.Bench.Geo;

// dotnet run -c Release --project bench/Atlas.Bench.Geo -- nearby|ingest [--quick] [--redis host:port]
// Progress lines first; the last line is the scenario's JSON.
var scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal));
var quick = args.Contains("--quick");
var redisAt = Array.IndexOf(args, "--redis");
var redis = redisAt >= 0 && redisAt + 1 < args.Length ? args[redisAt + 1] : null;
if (scenario is not ("nearby" or "ingest"))
{
    Console.Error.WriteLine("usage: Atlas.Bench.Geo nearby|ingest [--quick] [--redis host:port]   (default Redis: $ATLAS_TEST_REDIS)");
    return 2;
}
redis ??= BenchRedis.FromEnvironment();
var result = scenario == "nearby"
    ? await NearbyScenario.RunAsync(quick, Console.Out, redis)
    : await IngestScenario.RunAsync(quick, Console.Out, redis);
Console.WriteLine(result.ToJsonString());
return 0;
