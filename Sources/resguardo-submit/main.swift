import AsyncHTTPClient
print("todo")
