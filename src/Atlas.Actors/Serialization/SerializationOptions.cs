using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Atlas.Actors.Serialization;

/// <summary>
/// How grain arguments, results and state are serialized (System.Text.Json). Add source-generated
/// <c>JsonSerializerContext</c>s for your message types to <see cref="TypeInfoResolvers"/>; types they do not cover
/// fall back to reflection-based metadata, built once per type.
/// </summary>
public sealed class SerializationOptions
{
    /// <summary>Resolvers tried before the reflection fallback, in order.</summary>
    public IList<IJsonTypeInfoResolver> TypeInfoResolvers { get; } = [];

    /// <summary>Largest serialized message accepted, in bytes (default 16 MiB).</summary>
    public int MaxMessageSize { get; set; } = 16 * 1024 * 1024;

    internal JsonSerializerOptions CreateJsonOptions(IGrainReferenceBinder? binder)
    {
        var options = new JsonSerializerOptions
        {
            TypeInfoResolver = JsonTypeInfoResolver.Combine([.. TypeInfoResolvers, new DefaultJsonTypeInfoResolver()]),
            IncludeFields = false,
            MaxDepth = 64,
        };
        options.Converters.Add(new GrainReferenceConverterFactory(binder));
        options.MakeReadOnly();
        return options;
    }
}

/// <summary>Turns grain ids back into references bound to the local runtime when they are deserialized.</summary>
public interface IGrainReferenceBinder
{
    object Bind(Type interfaceType, GrainId grainId);
}
