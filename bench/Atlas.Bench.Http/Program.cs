namespace Atlas.Bench.Http;

/// <summary>Runs the http scenario: <c>dotnet run -c Release --project bench/Atlas.Bench.Http [-- --quick]</c>; the last line is the result as JSON.</summary>
internal static class BenchProgram
{
    private static async Task<int> Main(string[] args)
    {
        var quick = args.Contains("--quick");
        var result = await HttpScenario.RunAsync(quick, Console.Out);
        Console.WriteLine(result.ToJsonString());
        return 0;
    }
}
