# The user guide's Python client example ("In Code (Python)"), run against a local gatehouse.
# Only the URL differs: APP_URL is http://app.example.com:<gateway port>/api/data, and the
# resolver below sends app.example.com to 127.0.0.1 (as curl's --resolve does).
import os
import socket

_getaddrinfo = socket.getaddrinfo


def _resolve_app_example_com(host, *args, **kwargs):
    return _getaddrinfo("127.0.0.1" if host == "app.example.com" else host, *args, **kwargs)


socket.getaddrinfo = _resolve_app_example_com

# --- the guide's example ---
import requests

response = requests.get(
    os.environ['APP_URL'],
    headers={
        'CF-Access-Client-Id': os.environ['CF_ACCESS_CLIENT_ID'],
        'CF-Access-Client-Secret': os.environ['CF_ACCESS_CLIENT_SECRET']
    }
)
# --- end of the example ---

print(response.status_code)
print(response.text)
