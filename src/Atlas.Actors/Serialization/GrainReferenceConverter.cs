using System.Text.Json;
using System.Text.Json.Serialization;

namespace Atlas.Actors.Serialization;

/// <summary>
/// Writes grain references as <c>"InterfaceName|type/key"</c> and binds them to the local runtime when read,
/// so references can travel inside messages and state.
/// </summary>
internal sealed class GrainReferenceConverterFactory(IGrainReferenceBinder? binder) : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsInterface && typeof(IAddressable).IsAssignableFrom(typeToConvert);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(GrainReferenceConverter<>).MakeGenericType(typeToConvert), binder)!;
}

internal sealed class GrainReferenceConverter<T>(IGrainReferenceBinder? binder) : JsonConverter<T> where T : class, IAddressable
{
    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        var text = reader.GetString() ?? throw new JsonException("A grain reference must be a string.");
        var bar = text.IndexOf('|');
        if (bar <= 0)
        {
            throw new JsonException($"'{text}' is not a grain reference.");
        }
        if (binder is null)
        {
            throw new JsonException("Grain references cannot be read without a runtime.");
        }
        var interfaceType = Invocation.GrainRegistry.FindInterface(text[..bar])
            ?? throw new JsonException($"Grain interface '{text[..bar]}' is not known in this process.");
        return (T)binder.Bind(interfaceType, GrainId.Parse(text[(bar + 1)..]));
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        if (value is not Invocation.GrainReference reference)
        {
            throw new JsonException($"Only grain references can be serialized as {typeof(T).Name}; got {value.GetType()}. Pass a reference, not the grain object.");
        }
        writer.WriteStringValue($"{reference.InterfaceName}|{reference.GrainId}");
    }
}
