fd00:2::20 nas.lan.example nas
