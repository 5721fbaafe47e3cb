using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Atlas.Hosting.Tests.Storage.Sqlite;

/// <summary>
/// What a silo gives its grain storages, built without a silo: Orleans' binary grain-state serializer (the one
/// AddAtlasSilo registers) over the serializer of the generated codecs, and the activators of empty states.
/// </summary>
public static class StorageSerialization
{
    private static readonly ServiceProvider Services = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(StorageSerialization).Assembly))
        .BuildServiceProvider();

    public static IGrainStorageSerializer Serializer { get; } = new OrleansGrainStorageSerializer(Services.GetRequiredService<Serializer>());

    public static IActivatorProvider Activators { get; } = Services.GetRequiredService<IActivatorProvider>();
}
