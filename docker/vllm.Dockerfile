# vLLM's own image as a model environment (not built by CI: needs the registry).
# Context: dist/ with one vlmhyperbench-*.whl. The venv sees vLLM's packages and adds ours.
ARG VLLM_IMAGE=vllm/vllm-openai:v0.11.0
FROM ${VLLM_IMAGE}
COPY dist/ /tmp/dist/
RUN python3 -m venv --system-site-packages /opt/vlmhb \
 && /opt/vlmhb/bin/python -m pip install --no-cache-dir /tmp/dist/vlmhyperbench-*.whl \
 && rm -rf /tmp/dist && chmod -R a+rwX /opt/vlmhb
ENV PATH=/opt/vlmhb/bin:$PATH VIRTUAL_ENV=/opt/vlmhb HOME=/tmp PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
ENTRYPOINT ["python3", "-m", "vlmhyperbench"]
CMD ["--help"]
