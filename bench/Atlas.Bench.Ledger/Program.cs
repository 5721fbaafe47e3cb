using System.Text.Encodings.Web;
using System.Text.Json;
using Atlas.Bench.Ledger;

// dotnet run --project bench/Atlas.Bench.Ledger -c Release -- [--quick] [--postgres "Host=...;Username=...;Password=...;Database=..."]
var quick = args.Contains("--quick");
var postgres = args.SkipWhile(a => a != "--postgres").Skip(1).FirstOrDefault()
               ?? Environment.GetEnvironmentVariable("ATLAS_TEST_POSTGRES");
if (string.IsNullOrWhiteSpace(postgres))
{
    Console.Error.WriteLine("The ledger benchmark needs PostgreSQL: set ATLAS_TEST_POSTGRES (eval \"$(bash scripts/services.sh env)\") or pass --postgres CONNECTION_STRING.");
    return 2;
}
var result = await LedgerScenario.RunAsync(quick, Console.Out, postgres);
// Relaxed escaping: the line says ">= 0.5", not "\u003E= 0.5".
Console.Out.WriteLine(result.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
return 0;
