return 0; // placeholder: the dotnet runtime host is being written
