using Atlas.Hosting.Silos;
using Atlas.Hosting.Tests.Unserializable;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;
using Orleans.Serialization.Configuration;

namespace Atlas.Hosting.Tests.Configuration;

/// <summary>
/// <c>AddAtlasSilo</c> turns on Orleans' start-up analysis of grain interfaces (which Orleans runs by itself only in the
/// Development environment): a silo whose grain interface passes a type without a serializer refuses to start, naming
/// the type, instead of failing each call that would send one. The bad interface
/// (<see cref="IUnserializableArgumentGrain"/>) lives in an assembly built without Orleans' code generator, so no silo
/// takes it but the one a test gives it: in this test assembly it would stop every test cluster from starting.
/// </summary>
public sealed class SerializerAnalysisTests
{
    [Fact]
    public void The_bad_interface_reaches_no_silo_by_itself()
    {
        Assert.False(typeof(IUnserializableArgumentGrain).Assembly.IsDefined(typeof(ApplicationPartAttribute), inherit: false));
    }

    [Fact]
    public async Task A_silo_configured_by_AddAtlasSilo_refuses_to_start_and_names_the_type_without_a_serializer()
    {
        using var host = ProductionSilo(silo => silo.AddAtlasSilo(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build()));

        var error = await Assert.ThrowsAsync<OrleansConfigurationException>(() => host.StartAsync());

        Assert.Contains($"Type: {typeof(PlainRoute).FullName} has no serializer", error.Message);
        Assert.Contains(nameof(IUnserializableArgumentGrain), error.Message);
    }

    [Fact]
    public async Task Without_AddAtlasSilo_a_production_silo_starts_with_the_bad_interface()
    {
        using var host = ProductionSilo(_ => { });

        await host.StartAsync();

        await host.StopAsync();
    }

    /// <summary>A silo in the Production environment whose type manifest holds <see cref="IUnserializableArgumentGrain"/>.</summary>
    private static IHost ProductionSilo(Action<ISiloBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production, DisableDefaults = true });
        var id = $"analysis-{Guid.NewGuid():N}";
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(LoopbackPorts.Free(), LoopbackPorts.Free(), serviceId: id, clusterId: id);
            // What Orleans' generated metadata does for an application part's interfaces (and allow-lists them by it).
            silo.Services.Configure<TypeManifestOptions>(o =>
            {
                o.Interfaces.Add(typeof(IUnserializableArgumentGrain));
                o.AddAllowedType(typeof(IUnserializableArgumentGrain));
            });
            configure(silo);
        });
        return builder.Build();
    }
}
