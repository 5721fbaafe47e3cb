using System.Reflection;
using Atlas.Grains.Common;
using Atlas.Grains.Fares;
using Atlas.Grains.Rides;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Atlas.Grains.Tests.Domain;

using Atlas.Grains.Monetary;

/// <summary>
/// Every domain exception is built from what it carries: one constructor takes exactly its properties and derives the
/// message from them, so an exception rebuilt from its properties is the same one. Orleans' generated codecs carry those
/// properties to a caller on another silo (<see cref="Every_exception_crosses_Orleans_serializer_as_itself"/>; across
/// real silos: <c>Cluster/CrossSiloExceptionTests</c>).
/// </summary>
public class DomainExceptionShapeTests
{
    private static readonly Type[] ExceptionTypes = typeof(DomainException).Assembly
        .GetTypes()
        .Where(t => typeof(Exception).IsAssignableFrom(t) && !t.IsAbstract)
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToArray();

    public static TheoryData<string> ExceptionTypeNames() => new(ExceptionTypes.Select(t => t.FullName!));

    [Fact]
    public void Every_exception_of_the_domain_is_a_domain_exception()
    {
        Assert.Contains(typeof(IllegalRideTransitionException), ExceptionTypes);
        Assert.All(ExceptionTypes, t => Assert.True(t.IsSubclassOf(typeof(DomainException)), t.Name));
    }

    [Theory]
    [MemberData(nameof(ExceptionTypeNames))]
    public void Every_exception_can_be_recreated_from_its_properties(string typeName)
    {
        var type = ExceptionTypes.Single(t => t.FullName == typeName);
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);
        Assert.NotEmpty(properties);

        var constructor = Assert.Single(
            type.GetConstructors(),
            c => c.GetParameters().Length == properties.Length
                && c.GetParameters().All(p => properties.Any(
                    prop => string.Equals(prop.Name, p.Name, StringComparison.OrdinalIgnoreCase)
                        && prop.PropertyType == p.ParameterType)));

        var arguments = constructor.GetParameters().Select(p => SampleValue(p.ParameterType)).ToArray();
        var original = (Exception)constructor.Invoke(arguments);

        var recreated = (Exception)constructor.Invoke(constructor.GetParameters()
            .Select(p => properties.Single(prop => string.Equals(prop.Name, p.Name, StringComparison.OrdinalIgnoreCase)).GetValue(original))
            .ToArray());

        foreach (var property in properties)
        {
            Assert.Equal(property.GetValue(original), property.GetValue(recreated));
        }

        Assert.False(string.IsNullOrWhiteSpace(original.Message));
        Assert.Equal(original.Message, recreated.Message);
    }

    [Theory]
    [MemberData(nameof(ExceptionTypeNames))]
    public void Every_exception_crosses_Orleans_serializer_as_itself(string typeName)
    {
        var type = ExceptionTypes.Single(t => t.FullName == typeName);
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);
        var constructor = type.GetConstructors().Single(c => c.GetParameters().Length == properties.Length);
        var original = (Exception)constructor.Invoke(constructor.GetParameters().Select(p => SampleValue(p.ParameterType)).ToArray());

        var copy = Serializer.Deserialize<Exception>(Serializer.SerializeToArray<Exception>(original));

        Assert.IsType(type, copy);
        Assert.Equal(original.Message, copy.Message);
        foreach (var property in properties)
        {
            Assert.Equal(property.GetValue(original), property.GetValue(copy));
        }
    }

    private static readonly Serializer Serializer = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(DomainException).Assembly))
        .BuildServiceProvider()
        .GetRequiredService<Serializer>();

    private static object SampleValue(Type type)
    {
        if (type == typeof(string))
        {
            return "sample";
        }

        if (type == typeof(string[]))
        {
            return new[] { "sample", "other" }; // the allowed values an error names
        }

        if (type == typeof(Currency))
        {
            return Currency.Gbp;
        }

        if (type == typeof(Money))
        {
            return new Money(1234, Currency.Gbp);
        }

        if (type == typeof(DateTimeOffset))
        {
            return new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
        }

        if (type.IsEnum)
        {
            // The last value, so a default-valued property cannot pass by accident.
            return Enum.GetValues(type).Cast<object>().Last();
        }

        throw new InvalidOperationException($"Add a sample value for {type} to this test.");
    }
}
