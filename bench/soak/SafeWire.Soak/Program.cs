using SafeWire.Soak;

// dotnet bench/soak/SafeWire.Soak/bin/Release/net10.0/SafeWire.Soak.dll [--hostile N] [--seconds S] [--baseline S] [--clients N] [--only files,km,chat,ftp]
return await SoakRun.RunAsync(args);
