go test fuzz v1
string("1.h")
