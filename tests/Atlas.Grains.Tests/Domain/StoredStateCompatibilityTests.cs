using Atlas.Grains.Drivers;
using Atlas.Grains.Geo;
using Atlas.Grains.Markets;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace Atlas.Grains.Tests.Domain;

/// <summary>
/// Rides and drivers stored before vehicle classes, payment methods and surge (the fields as they were, with the
/// vehicle type an enum) read with Orleans' binary grain-state serializer, as the storage providers read them: the
/// legacy type is there to name the class, and the new fields take the values those rides had.
/// </summary>
public class StoredStateCompatibilityTests
{
    private static readonly IGrainStorageSerializer Storage = new OrleansGrainStorageSerializer(new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(OrderState).Assembly).AddAssembly(typeof(StoredStateCompatibilityTests).Assembly))
        .BuildServiceProvider()
        .GetRequiredService<Serializer>());

    [Fact]
    public void A_ride_stored_with_a_vehicle_type_reads_with_its_class_paid_from_the_wallet_offered_and_without_surge()
    {
        var old = new RideStoredBeforeClasses
        {
            Created = true, RiderId = "rider-1", Pickup = new GeoPoint(48.85, 2.35), VehicleType = LegacyVehicleType.Premium, City = "default",
            Estimate = new Money(1_500, Currency.Eur), Status = RideStatus.Matched, DriverId = "driver-1",
        };

        var ride = Storage.Deserialize<OrderState>(Storage.Serialize(old))!;

        Assert.Equal((true, "rider-1", RideStatus.Matched, "driver-1", new Money(1_500, Currency.Eur)), (ride.Created, ride.RiderId, ride.Status, ride.DriverId, ride.Estimate));
        Assert.Null(ride.VehicleClass);
        Assert.Equal("premium", ride.LegacyVehicleType.ClassName()); // what OrderGrain takes as the class when it activates
        Assert.Equal((PaymentMethod.Wallet, DispatchMode.Offer, SurgeMultiplier.None), (ride.PaymentMethod, ride.DispatchMode, ride.SurgeBasisPoints));
        Assert.Null(ride.CommissionReserve);
    }

    [Fact]
    public void A_driver_stored_with_a_vehicle_type_reads_with_its_class()
    {
        var old = new DriverStoredBeforeClasses { Registered = true, Name = "Ana", VehicleType = LegacyVehicleType.Xl, Status = DriverStatus.Available };

        var driver = Storage.Deserialize<DriverState>(Storage.Serialize(old))!;

        Assert.Equal((true, "Ana", DriverStatus.Available), (driver.Registered, driver.Name, driver.Status));
        Assert.Null(driver.VehicleClass);
        Assert.Equal("xl", driver.LegacyVehicleType.ClassName()); // what DriverGrain takes as the class when it activates
    }

    [Fact]
    public void A_ride_stored_now_reads_back_with_every_new_field()
    {
        var ride = new OrderState
        {
            Created = true, RiderId = "r", VehicleClass = "moto", PaymentMethod = PaymentMethod.Cash, DispatchMode = DispatchMode.Assign, SurgeBasisPoints = 13_000,
            MaxFare = new Money(444, Currency.Eur), CommissionReserve = new CommissionReserve("d", "ride:x:reserve:d", new Money(89, Currency.Eur)),
            ArrivedAt = new DateTimeOffset(2026, 12, 2, 6, 0, 0, TimeSpan.Zero),
        };

        var read = Storage.Deserialize<OrderState>(Storage.Serialize(ride))!;

        Assert.Equal((ride.VehicleClass, ride.PaymentMethod, ride.DispatchMode, ride.SurgeBasisPoints, ride.MaxFare, ride.CommissionReserve, ride.ArrivedAt),
            (read.VehicleClass, read.PaymentMethod, read.DispatchMode, read.SurgeBasisPoints, read.MaxFare, read.CommissionReserve, read.ArrivedAt));
    }
}

/// <summary>Some fields of <see cref="OrderState"/> as they were stored before vehicle classes (same ids and encodings).</summary>
[GenerateSerializer]
public sealed class RideStoredBeforeClasses
{
    [Id(0)] public bool Created { get; set; }
    [Id(1)] public string RiderId { get; set; } = "";
    [Id(2)] public GeoPoint Pickup { get; set; }
    [Id(4)] public LegacyVehicleType VehicleType { get; set; }
    [Id(5)] public string City { get; set; } = "";
    [Id(7)] public Money Estimate { get; set; }
    [Id(8)] public RideStatus Status { get; set; }
    [Id(16)] public string? DriverId { get; set; }
}

/// <summary>Some fields of <see cref="DriverState"/> as they were stored before vehicle classes.</summary>
[GenerateSerializer]
public sealed class DriverStoredBeforeClasses
{
    [Id(0)] public bool Registered { get; set; }
    [Id(1)] public string Name { get; set; } = "";
    [Id(2)] public LegacyVehicleType VehicleType { get; set; }
    [Id(4)] public DriverStatus Status { get; set; }
}
