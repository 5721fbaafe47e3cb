using System.Collections.Immutable;
using Atlas.Actors.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Atlas.Actors.Generators.Tests;

/// <summary>Grain code the runtime could not call or create is refused at build time, naming the culprit.</summary>
public sealed class GeneratorDiagnosticsTests
{
    [Fact]
    public void A_grain_interface_method_that_does_not_return_a_task_is_a_build_error_naming_it()
    {
        var diagnostics = Generate("""
            public interface IBadGrain : Atlas.Actors.IGrainWithStringKey
            {
                int Count();
            }
            """);

        var error = Assert.Single(diagnostics, d => d.Id == "ATLAS001");
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        Assert.Contains("IBadGrain.Count", error.GetMessage());
        Assert.Contains("int", error.GetMessage());
    }

    [Theory]
    [InlineData("Task Add(ref int x);", "ATLAS002")]
    [InlineData("Task Add<T>(T x);", "ATLAS003")]
    [InlineData("[Atlas.Actors.OneWay] Task<int> Add(int x);", "ATLAS004")]
    [InlineData("int Size { get; }", "ATLAS006")]
    [InlineData("Task Add(System.Threading.CancellationToken token);", "ATLAS007")]
    [InlineData("[Atlas.Actors.ResponseTimeout(\"soon\")] Task Add();", "ATLAS008")]
    public void Interface_members_a_grain_call_cannot_carry_are_build_errors(string member, string id)
    {
        var diagnostics = Generate($$"""
            using System.Threading.Tasks;
            public interface IBadGrain : Atlas.Actors.IGrainWithStringKey
            {
                {{member}}
            }
            """);

        Assert.Contains(diagnostics, d => d.Id == id && d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void A_persistent_state_without_a_parameterless_constructor_is_a_build_error()
    {
        var diagnostics = Generate("""
            using Atlas.Actors;
            public sealed record State(int Value);
            public sealed class StatefulGrain([PersistentState("s")] IPersistentState<State> state) : Grain;
            """);

        Assert.Contains(diagnostics, d => d.Id == "ATLAS011" && d.GetMessage().Contains("State"));
    }

    [Fact]
    public void A_grain_class_with_two_public_constructors_is_a_build_error()
    {
        var diagnostics = Generate("""
            public sealed class TwoWaysGrain : Atlas.Actors.Grain
            {
                public TwoWaysGrain() { }
                public TwoWaysGrain(int x) { }
            }
            """);

        Assert.Contains(diagnostics, d => d.Id == "ATLAS012" && d.GetMessage().Contains("TwoWaysGrain"));
    }

    [Fact]
    public void A_valid_grain_compiles_without_errors_with_its_proxy_and_registration()
    {
        var (diagnostics, generated) = GenerateWithOutput("""
            using System.Threading.Tasks;
            using Atlas.Actors;
            public interface ICountGrain : IGrainWithStringKey
            {
                Task<int> Add(int amount, string request);
                [OneWay] Task Ping();
                ValueTask<string> Name();
            }
            public sealed class CountState { public int Value { get; set; } }
            public sealed class CountGrain([PersistentState("count")] IPersistentState<CountState> state) : Grain, ICountGrain
            {
                public Task<int> Add(int amount, string request) => Task.FromResult(state.State.Value += amount);
                public Task Ping() => Task.CompletedTask;
                public ValueTask<string> Name() => new("count");
            }
            """);

        Assert.DoesNotContain(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Contains("class ICountGrain_Proxy", generated);
        Assert.Contains("RegisterClass", generated);
        Assert.Contains("ModuleInitializer", generated);
    }

    private static ImmutableArray<Diagnostic> Generate(string source) => GenerateWithOutput(source).Diagnostics;

    /// <summary>Runs the generator on the source and compiles the result; returns every diagnostic and the generated code.</summary>
    private static (ImmutableArray<Diagnostic> Diagnostics, string Generated) GenerateWithOutput(string source)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Append(typeof(Grain).Assembly.Location)
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create("GeneratorInput",
            [CSharpSyntaxTree.ParseText(source)],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var driver = CSharpGeneratorDriver.Create(new GrainGenerator()).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var generated = string.Join("\n", driver.GetRunResult().GeneratedTrees.Select(t => t.ToString()));
        return (generatorDiagnostics.AddRange(output.GetDiagnostics()), generated);
    }
}
