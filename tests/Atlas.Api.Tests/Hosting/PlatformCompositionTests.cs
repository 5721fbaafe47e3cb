using Atlas.Api.Hosting;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Infrastructure;

namespace Atlas.Api.Tests.Hosting;

public sealed class PlatformCompositionTests
{
    private sealed class ClientModeFactory : ApiFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings => [.. base.Settings, new("Atlas:Mode", "client")];
    }

    [Fact]
    public void Client_mode_fails_at_start_up_saying_what_it_needs()
    {
        using var factory = new ClientModeFactory();

        var failure = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        var configuration = Assert.IsType<AtlasConfigurationException>(failure.GetBaseException());
        Assert.Contains("client needs", configuration.Message);
    }

    [Fact]
    public void Without_a_connection_string_the_platform_stores_embedded_under_the_data_path()
    {
        var plan = PlatformPlan.From(new PlatformOptions { DataPath = "some/dir" }, postgres: null, redis: null);

        Assert.Equal(PlatformMode.Embedded, plan.Mode);
        Assert.Equal(PlatformStorage.Embedded, plan.Storage);
        Assert.Equal(Path.GetFullPath("some/dir"), plan.DataPath);
    }

    [Fact]
    public void A_postgres_connection_string_moves_storage_to_postgres()
    {
        var plan = PlatformPlan.From(new PlatformOptions(), postgres: "Host=db;Database=atlas", redis: " ");

        Assert.Equal(PlatformStorage.Postgres, plan.Storage);
        Assert.Null(plan.RedisConnectionString);
    }
}
