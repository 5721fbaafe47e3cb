using Atlas.Hosting.Silos;
using Atlas.Hosting.Streams;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Atlas.Infrastructure.Tests.Streams;

/// <summary>The platform's stream provider follows the configuration, and a configuration that cannot work stops start-up naming the setting.</summary>
public sealed class StreamProviderConfigurationTests
{
    private static IConfiguration Settings(params (string Key, string? Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    private static AtlasStreamsProvider Chosen(IConfiguration configuration) =>
        AtlasStreamsSiloBuilderExtensions.Choose(AtlasStreamsSiloBuilderExtensions.Read(configuration), configuration);

    [Fact]
    public void Without_connection_strings_the_streams_are_in_memory() =>
        Assert.Equal(AtlasStreamsProvider.Memory, Chosen(Settings()));

    [Fact]
    public void A_Redis_connection_string_puts_the_streams_on_Redis() =>
        Assert.Equal(AtlasStreamsProvider.Redis, Chosen(Settings(("ConnectionStrings:Redis", "127.0.0.1:6379"))));

    [Fact]
    public void An_Event_Hubs_connection_string_puts_the_streams_on_Event_Hubs_even_beside_Redis() =>
        Assert.Equal(AtlasStreamsProvider.EventHubs, Chosen(Settings(("ConnectionStrings:Redis", "127.0.0.1:6379"),
            ("ConnectionStrings:EventHubs", "Endpoint=sb://atlas.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=a2V5"))));

    [Fact]
    public void The_provider_setting_wins_over_the_connection_strings() =>
        Assert.Equal(AtlasStreamsProvider.Memory, Chosen(Settings(("ConnectionStrings:Redis", "127.0.0.1:6379"), ("Atlas:Streams:Provider", "memory"))));

    [Theory]
    [InlineData("Kafka", "Atlas:Streams:Provider 'Kafka'")]
    [InlineData("7", "Atlas:Streams:Provider '7'")]
    public void An_unknown_provider_stops_start_up_naming_the_setting(string provider, string named)
    {
        var error = StartUpError(("Atlas:Streams:Provider", provider));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Redis_streams_without_a_Redis_connection_string_stop_start_up_naming_it()
    {
        var error = StartUpError(("Atlas:Streams:Provider", "Redis"));
        Assert.Contains("ConnectionStrings:Redis", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Event_Hubs_without_a_connection_string_stops_start_up_naming_it()
    {
        var error = StartUpError(("Atlas:Streams:Provider", "EventHubs"));
        Assert.Contains("ConnectionStrings:EventHubs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Event_Hubs_without_checkpoint_storage_stops_start_up_naming_it()
    {
        var error = StartUpError(("ConnectionStrings:EventHubs", "Endpoint=sb://atlas.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=a2V5;EntityPath=rides"));
        Assert.Contains("ConnectionStrings:EventHubsCheckpoints", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Event_Hubs_without_a_hub_name_stops_start_up_naming_the_settings()
    {
        var error = StartUpError(
            ("ConnectionStrings:EventHubs", "Endpoint=sb://atlas.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=a2V5"),
            ("ConnectionStrings:EventHubsCheckpoints", "UseDevelopmentStorage=true"));
        Assert.Contains("Atlas:Streams:EventHubs:Hub", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_queue_count_below_one_stops_start_up_naming_the_setting()
    {
        var error = StartUpError(("Atlas:Streams:Queues", "0"));
        Assert.Contains("Atlas:Streams:Queues", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Composes a silo host as every Atlas host does (AddAtlasSilo) and returns why it refused.</summary>
    private static AtlasConfigurationException StartUpError(params (string Key, string? Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        return Assert.Throws<AtlasConfigurationException>(() => builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering();
            silo.AddAtlasSilo(builder.Configuration);
        }));
    }
}
