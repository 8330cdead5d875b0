"""The API's request and response bodies (pydantic), with examples in Chinese for the OpenAPI page."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EXAMPLE_TITLE = "国家能源局：加快建设新型储能电站"
EXAMPLE_TEXT = "今年以来，各地加快光伏、风电等新能源项目建设，新型储能装机规模持续扩大，电网调峰能力明显增强。"
EXAMPLE_RECORD: dict[str, Any] = {
    "id": "energy-1",
    "title": EXAMPLE_TITLE,
    "topics": ["energy"],
    "scores": {
        "environment": 0.0401,
        "energy": 0.9999,
        "industry": 0.0056,
        "technology": 0.0191,
        "economy": 0.0141,
        "public_service": 0.0369,
        "urban_rural": 0.0042,
        "culture": 0.0233,
    },
    "keywords": ["今年以来", "扩大", "电网", "风电", "规模"],
}


class ArticleIn(BaseModel):
    """One article to tag; ``id`` and ``title`` are optional."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"title": EXAMPLE_TITLE, "text": EXAMPLE_TEXT}]}
    )

    id: str | None = Field(
        None, max_length=200, description="Your id, echoed back; without one, a stable id from the text."
    )
    title: str = Field("", description="The headline (may be empty).")
    text: str = Field(..., description="The body text (may be empty when there is a title).")

    @model_validator(mode="after")
    def _not_empty(self) -> ArticleIn:
        # A headline alone is an article (news briefs are); nothing at all is not.
        if not self.text.strip() and not self.title.strip():
            raise ValueError("empty article: no title and no text")
        return self

    @field_validator("title", "text", "id")
    @classmethod
    def _no_binary(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("holds a NUL character: binary data, not text")
        return value


class TagRequest(BaseModel):
    """``POST /v1/tag``: articles, and optionally at most ``top`` topics each and their explanations."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"articles": [{"id": "energy-1", "title": EXAMPLE_TITLE, "text": EXAMPLE_TEXT}], "explain": False}
            ]
        },
    )

    articles: list[ArticleIn] = Field(..., min_length=1, description="The articles (at most --max-articles).")
    top: int | None = Field(None, ge=1, le=1000, description="At most this many topics per article.")
    explain: bool = Field(False, description="Add, per assigned topic, the features that raised its score most.")


class ModelRef(BaseModel):
    version: str = Field(..., examples=["20261126-112931-b83fa6"])
    topics: list[str] = Field(..., examples=[list(EXAMPLE_RECORD["scores"])])


class TagResponse(BaseModel):
    """The records of ``classifier tag --format jsonl``, in input order, and the model that made them."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "model": {"version": "20261126-112931-b83fa6", "topics": list(EXAMPLE_RECORD["scores"])},
                    "results": [EXAMPLE_RECORD],
                }
            ]
        }
    )

    model: ModelRef
    results: list[dict[str, Any]]


class ErrorBody(BaseModel):
    """Every error: one line saying what is wrong."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"error": "articles.0: empty article: no title and no text"}]}
    )

    error: str


class TopicOut(BaseModel):
    id: str = Field(..., examples=["energy"])
    name_zh: str = Field(..., examples=["能源"])
    description: str = Field(
        ..., examples=["How energy is produced, moved and used: coal mining and supply, power generation, the grid..."]
    )


class TopicsResponse(BaseModel):
    topics: list[TopicOut]


class ModelsResponse(BaseModel):
    """The versions in the store, which one this process serves, and the latest load attempt."""

    serving: str | None = Field(..., examples=["20261126-112931-b83fa6"])
    default: str | None = Field(..., description="The store's default version.")
    pinned: str | None = Field(None, description="The --model the server was started with, if any.")
    meta: dict[str, Any] = Field(..., description="The serving model: counts, out-of-fold metrics, checksum.")
    last_reload: dict[str, Any] | None = Field(None, description="The latest load: when, ok, version, error.")
    versions: list[dict[str, Any]]


class ReloadResponse(BaseModel):
    ok: bool
    serving: str | None
    error: str | None = None


# --- Open Inference Protocol v2 (KServe / MLServer) -------------------------------------------


class InferTensor(BaseModel):
    """A v2 input tensor; this model takes one, ``text``: BYTES, shape ``[N]``, the article texts."""

    name: str
    shape: list[int] = Field(..., examples=[[1]])
    datatype: str = Field(..., examples=["BYTES"])
    parameters: dict[str, Any] | None = None
    data: list[Any] = Field(..., examples=[[EXAMPLE_TITLE + "\n" + EXAMPLE_TEXT]])


class InferRequestOutput(BaseModel):
    name: str
    parameters: dict[str, Any] | None = None


class InferRequest(BaseModel):
    """A v2 inference request."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "42",
                    "inputs": [
                        {
                            "name": "text",
                            "shape": [1],
                            "datatype": "BYTES",
                            "data": [EXAMPLE_TITLE + "\n" + EXAMPLE_TEXT],
                        }
                    ],
                }
            ]
        }
    )

    id: str | None = None
    parameters: dict[str, Any] | None = None
    inputs: list[InferTensor] = Field(..., min_length=1)
    outputs: list[InferRequestOutput] | None = None


class InferOutput(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    parameters: dict[str, Any] | None = None
    data: list[Any]


class InferResponse(BaseModel):
    model_name: str
    model_version: str | None = None
    id: str | None = None
    parameters: dict[str, Any] | None = None
    outputs: list[InferOutput]


class TensorMeta(BaseModel):
    name: str
    datatype: str
    shape: list[int]


class ModelMetadata(BaseModel):
    name: str
    versions: list[str]
    platform: str
    inputs: list[TensorMeta]
    outputs: list[TensorMeta]
