// Grid runs functions with Linux facilities (namespaces through bubblewrap, cgroups, /proc).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
