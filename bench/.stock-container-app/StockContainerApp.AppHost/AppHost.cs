var builder = DistributedApplication.CreateBuilder(args);

// As Aspire's samples seed a container: the image runs seed/ once, on a new volume, in POSTGRES_DB.
// The tag comes from the benchmark (the stand-in image's, postgres/Dockerfile), so that no version is pinned twice.
var tag = builder.Configuration["Postgres:ImageTag"] ?? throw new InvalidOperationException("Postgres:ImageTag is not set. Fix: run this app through bench/bench.py.");
var postgres = builder.AddPostgres("postgres")
    .WithImageTag(tag)
    .WithDataVolume()
    .WithEnvironment("POSTGRES_DB", "hello")
    .WithInitFiles(Path.Combine(builder.AppHostDirectory, "..", "..", "..", "seed"));

// The image HelloAspire's Postgres:Image names (registry/name), such as the tests' stand-in.
if (builder.Configuration["Postgres:Image"] is { } image)
{
    postgres.WithImageRegistry(image[..image.IndexOf('/')]).WithImage(image[(image.IndexOf('/') + 1)..], tag);
}

var hello = postgres.AddDatabase("hello");

builder.AddProject<Projects.HelloAspire_Worker>("worker")
    .WithBuildOutputLaunch()
    .WithReference(hello)
    .WaitFor(hello)
    .AsRunOnce(stopsTheAppHost: builder.Configuration.GetValue<bool>("RunOnce"));

builder.Build().Run();
