using System.Text;
using Grpc.Core;

namespace SafeWire.Benchmarks.AspNet;

/// <summary>A hand-written gRPC service (no .proto): one unary method, "hello " + the request.</summary>
[BindServiceMethod(typeof(Greeter), nameof(BindService))]
public class Greeter
{
    private static readonly Marshaller<string> s_utf8 = Marshallers.Create(Encoding.UTF8.GetBytes, Encoding.UTF8.GetString);

    public static readonly Method<string, string> HelloMethod = new(MethodType.Unary, "safewire.bench.Greeter", "Hello", s_utf8, s_utf8);

    public static void BindService(ServiceBinderBase binder, Greeter? service) =>
        binder.AddMethod(HelloMethod, service is null ? null : service.Hello);

    public virtual Task<string> Hello(string request, ServerCallContext context) => Task.FromResult("hello " + request);
}
